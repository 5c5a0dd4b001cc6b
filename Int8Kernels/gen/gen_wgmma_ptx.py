#!/usr/bin/env python3
"""Generates the wgmma instruction sets, PTX (Int8Kernels/Arch/WgmmaPtx.Generated.cs) and emulated
(Int8Kernels/Arch/WgmmaEmulated.Generated.cs), and their FP16 twins (WgmmaF16Ptx/WgmmaF16Emulated.Generated.cs):

    python3 Int8Kernels/gen/gen_wgmma_ptx.py

One readonly struct per accumulator width N (a warpgroup's m64nN tile) and ring depth, implementing IWgmmaOps with
inline PTX, and its emulated twin for the CPU accelerator (WgmmaEmulation in Int8Kernels/Arch/Wgmma.cs).
ILGPU's CudaAsm takes at most 44 operands, and a wgmma.m64n256k32 has 128 accumulator registers, so the accumulators
are not C# values at all: they are the PTX registers %wacc0 .. %wacc{N/2 - 1}, named in the asm text (written %%wacc
so that ILGPU passes the % through) and declared once per kernel by Int8Kernels/Runtime/PtxSm90aPass.cs. The kernel
zeroes them, lets wgmma accumulate into them and finally stores them to shared memory with st.shared.v2.b32 at
constant offsets (the staging tile of the epilogue); no instruction ILGPU generates ever touches them.

Accumulator register i of a thread (PTX ISA, wgmma .m64nNk32 D fragment): warp w = (thread & 127) >> 5 of the
warpgroup, g = lane >> 2, t = lane & 3: row 16w + g + 8·((i >> 1) & 1), column 8·(i >> 2) + 2t + (i & 1).
The staging tile is [rows][N + 8] int32 (pitch (N + 8)·4 bytes); the thread passes the byte address of its element
(row 16w + g, column 2t), so register pair (i, i + 1) (i even) goes to + 8·pitch·((i >> 1) & 1) + 32·(i >> 2).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "Arch", "WgmmaPtx.Generated.cs")
OUT_EMULATED = os.path.join(os.path.dirname(HERE), "Arch", "WgmmaEmulated.Generated.cs")
OUT_F16 = os.path.join(os.path.dirname(HERE), "Arch", "WgmmaF16Ptx.Generated.cs")
OUT_EMULATED_F16 = os.path.join(os.path.dirname(HERE), "Arch", "WgmmaF16Emulated.Generated.cs")
# (N, pipeline stages of 128 bytes of K, name suffix): the first of each N fills 227 KB with a 128-row A tile (the
# GEMM's); the suffixed shallower rings let two blocks share a multiprocessor (short-K convolutions).
SHAPES = [(256, 4, ""), (128, 6, ""), (64, 8, ""), (128, 3, "S3"), (64, 4, "S4")]
# FP16 inputs, FP32 accumulators (wgmma m64nNk16 .f32.f16.f16; 32 bytes of K a k step as for s8): the GEMM's shapes
# and the convolution's (ConvWgmmaFloat: every int8 shape), named PtxWgmmaF16N<N> / EmulatedWgmmaF16N<N>. The accumulator registers hold float bits (.b32 fits any 32-bit type).
SHAPES_F16 = SHAPES


def regs(n):
    return ", ".join(f"%%wacc{i}" for i in range(n // 2))


def store(n):
    pitch = (n + 8) * 4
    parts = []
    for i in range(0, n // 2, 2):
        off = 8 * pitch * ((i >> 1) & 1) + 32 * (i >> 2)
        parts.append(f"st.shared.v2.b32 [%0+{off}], {{%%wacc{i}, %%wacc{i + 1}}};")
    return " ".join(parts)


def zero(n):
    return " ".join(f"mov.b32 %%wacc{i}, 0;" for i in range(n // 2))


def waits(stages):
    # wait_group 0 .. stages - 3 (the most the ring keeps in flight).
    top = stages - 3
    lines = []
    for k in range(top + 1):
        head = "if (pending <= 0)" if k == 0 else ("else" if k == top else f"else if (pending == {k})")
        lines.append(f"        {head}\n        {{{{\n            CudaAsm.Emit(\"cp.async.wait_group {k};\");\n        }}}}")
    return "\n".join(lines)


def struct(n, stages, suffix, f16=False):
    kind = "F16" if f16 else ""
    what = f"m64n{n}k16 (f32 += f16·f16, FP32 accumulators)" if f16 else f"m64n{n}k32 (s32 += s8·s8)"
    mma = (f"wgmma.mma_async.sync.aligned.m64n{n}k16.f32.f16.f16 {{{regs(n)}}}, %0, %1, 1, 1, 1, 0, 0;" if f16
           else f"wgmma.mma_async.sync.aligned.m64n{n}k32.s32.s8.s8 {{{regs(n)}}}, %0, %1, 1;")
    return f'''
/// <summary>
/// wgmma {what} and cp.async in PTX (CUDA sm_90a only: load through <c>PtxSm90aPass</c>).
/// Accumulators: registers %wacc0..%wacc{n // 2 - 1} (see the generator's notes); {stages} pipeline stages.
/// </summary>
internal readonly struct PtxWgmma{kind}N{n}{suffix} : IWgmmaOps
{{
    /// <inheritdoc />
    public int TileN => {n};

    /// <inheritdoc />
    public int Stages => {stages};

    /// <inheritdoc />
    public int StagingPitchBytes => {(n + 8) * 4};

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint DynamicSharedBase() => default(PtxTensorCore).DynamicSharedBase();

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Copy16(ArrayView<int> shared, uint sharedBase, int sharedOffset, ArrayView<sbyte> global, long globalAddress, long globalOffset, int srcBytes) =>
        CpAsync.Copy16Ptx(sharedBase, sharedOffset, globalAddress, globalOffset, srcBytes);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CommitCopies() => CudaAsm.Emit("cp.async.commit_group;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitCopies(int pending)
    {{
        // pending is a constant at every call: ILGPU folds the comparisons.
{waits(stages)}
    }}

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void FenceProxyAsync() => CudaAsm.Emit("fence.proxy.async.shared::cta;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ZeroAccumulators(ArrayView<int> scratch) =>
        CudaAsm.Emit("{zero(n)}");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Fence() => CudaAsm.Emit("wgmma.fence.sync.aligned;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mma(ArrayView<int> shared, long descA, long descB, ArrayView<int> scratch) =>
        CudaAsm.Emit("{mma}", descA, descB);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CommitMma() => CudaAsm.Emit("wgmma.commit_group.sync.aligned;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitMma(int pending)
    {{
        if (pending <= 0)
        {{
            CudaAsm.Emit("wgmma.wait_group.sync.aligned 0;");
        }}
        else
        {{
            CudaAsm.Emit("wgmma.wait_group.sync.aligned 1;");
        }}
    }}

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreAccumulators(ArrayView<int> shared, uint sharedAddress, int viewByteOffset, ArrayView<int> scratch) =>
        CudaAsm.Emit("{store(n)}", sharedAddress);
}}
'''


def emulated(n, stages, suffix, f16=False):
    kind = "F16" if f16 else ""
    what = f"m64n{n}k16 FP16 → FP32" if f16 else f"m64n{n}k32"
    return f'''
/// <summary>Emulated {what} with {stages} stages (see <see cref="WgmmaEmulation"/>; CPU accelerator, tests).</summary>
internal readonly struct EmulatedWgmma{kind}N{n}{suffix} : IWgmmaOps
{{
    /// <inheritdoc />
    public int TileN => {n};

    /// <inheritdoc />
    public int Stages => {stages};

    /// <inheritdoc />
    public int StagingPitchBytes => {(n + 8) * 4};

    /// <inheritdoc />
    public uint DynamicSharedBase() => 0;

    /// <inheritdoc />
    public void Copy16(ArrayView<int> shared, uint sharedBase, int sharedOffset, ArrayView<sbyte> global, long globalAddress, long globalOffset, int srcBytes) =>
        CpAsync.Copy16Emulated(shared, sharedOffset, global, globalOffset, srcBytes);

    /// <inheritdoc />
    public void CommitCopies()
    {{
    }}

    /// <inheritdoc />
    public void WaitCopies(int pending)
    {{
    }}

    /// <inheritdoc />
    public void FenceProxyAsync()
    {{
    }}

    /// <inheritdoc />
    public void ZeroAccumulators(ArrayView<int> scratch) => WgmmaEmulation.Zero(TileN, scratch);

    /// <inheritdoc />
    public void Fence()
    {{
    }}

    /// <inheritdoc />
    public void Mma(ArrayView<int> shared, long descA, long descB, ArrayView<int> scratch) => WgmmaEmulation.Mma{kind}(TileN, shared, descA, descB, scratch);

    /// <inheritdoc />
    public void CommitMma()
    {{
    }}

    /// <inheritdoc />
    public void WaitMma(int pending)
    {{
    }}

    /// <inheritdoc />
    public void StoreAccumulators(ArrayView<int> shared, uint sharedAddress, int viewByteOffset, ArrayView<int> scratch) =>
        WgmmaEmulation.Store(TileN, shared, viewByteOffset, scratch);
}}
'''


def write(path, body, usings):
    text = f'''// <auto-generated>
// Generated by Int8Kernels/gen/gen_wgmma_ptx.py; do not edit. Regenerate with:
//   python3 Int8Kernels/gen/gen_wgmma_ptx.py
// </auto-generated>
{usings}

namespace ILGPUInt8.Kernels.Arch;
{body}'''
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    write(OUT, "".join(struct(n, s, x) for n, s, x in SHAPES),
          "using System.Runtime.CompilerServices;\nusing ILGPU;\nusing ILGPU.Runtime.Cuda;")
    write(OUT_EMULATED, "".join(emulated(n, s, x) for n, s, x in SHAPES), "using ILGPU;")
    write(OUT_F16, "".join(struct(n, s, x, f16=True) for n, s, x in SHAPES_F16),
          "using System.Runtime.CompilerServices;\nusing ILGPU;\nusing ILGPU.Runtime.Cuda;")
    write(OUT_EMULATED_F16, "".join(emulated(n, s, x, f16=True) for n, s, x in SHAPES_F16), "using ILGPU;")


if __name__ == "__main__":
    main()
