#!/usr/bin/env python3
"""Generates the PTX halves of the wgmma instruction sets (Int8Kernels/Arch/WgmmaPtx.Generated.cs):

    python3 Int8Kernels/gen/gen_wgmma_ptx.py

One readonly struct per accumulator width N (a warpgroup's m64nN tile), implementing IWgmmaOps with inline PTX.
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
# (N, pipeline stages of 128 bytes of K that fit 227 KB with a 128-row A tile)
SHAPES = [(256, 4), (128, 6)]


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


def struct(n, stages):
    return f'''
/// <summary>
/// wgmma m64n{n}k32 (s32 += s8·s8) and cp.async in PTX (CUDA sm_90a only: load through <c>PtxSm90aPass</c>).
/// Accumulators: registers %wacc0..%wacc{n // 2 - 1} (see the generator's notes); {stages} pipeline stages.
/// </summary>
public readonly struct PtxWgmmaN{n} : IWgmmaOps
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
        if (pending <= 0)
        {{
            CudaAsm.Emit("cp.async.wait_group 0;");
        }}
        else if (pending == 1)
        {{
            CudaAsm.Emit("cp.async.wait_group 1;");
        }}
        else if (pending == 2)
        {{
            CudaAsm.Emit("cp.async.wait_group 2;");
        }}
        else if (pending == 3)
        {{
            CudaAsm.Emit("cp.async.wait_group 3;");
        }}
        else
        {{
            CudaAsm.Emit("cp.async.wait_group 4;");
        }}
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
        CudaAsm.Emit("wgmma.mma_async.sync.aligned.m64n{n}k32.s32.s8.s8 {{{regs(n)}}}, %0, %1, 1;", descA, descB);

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


def main():
    body = "".join(struct(n, s) for n, s in SHAPES)
    text = f'''// <auto-generated>
// Generated by Int8Kernels/gen/gen_wgmma_ptx.py; do not edit. Regenerate with:
//   python3 Int8Kernels/gen/gen_wgmma_ptx.py
// </auto-generated>
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;
{body}'''
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


if __name__ == "__main__":
    main()
