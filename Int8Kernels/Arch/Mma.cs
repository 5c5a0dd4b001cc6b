using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Tensor-core warp MMA <c>mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32</c> (sm_80+):
/// D[16×8] = A[16×32] · B[32×8] + C, s8 inputs, s32 accumulate (wrapping).
/// Fragments (g = lane &gt;&gt; 2, t = lane &amp; 3; a register holds 4 consecutive k, little-endian):
/// A: a0 = A[g][4t..], a1 = A[g+8][4t..], a2 = A[g][16+4t..], a3 = A[g+8][16+4t..];
/// B (weights W[n][k]): b0 = W[g][4t..], b1 = W[g][16+4t..];
/// C/D: c0 = C[g][2t], c1 = C[g][2t+1], c2 = C[g+8][2t], c3 = C[g+8][2t+1].
/// The fallback computes the same per lane with warp shuffles (CPU accelerator).
/// </summary>
internal static class Mma
{
    /// <summary>Accumulates one m16n8k32 product into (c0..c3). Call from all 32 lanes of a warp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void M16N8K32(
        ref int c0, ref int c1, ref int c2, ref int c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        if (CudaAsm.IsSupported)
        {
            M16N8K32Ptx(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
            return;
        }

        M16N8K32Emulated(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
    }

    /// <summary>
    /// The PTX instruction alone (CUDA only; no fallback in the generated code). For kernels that choose the
    /// instruction set by a struct type parameter (<see cref="ITensorCoreOps"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void M16N8K32Ptx(
        ref int c0, ref int c1, ref int c2, ref int c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        ILGPU.Runtime.Cuda.Ref<int> d0 = c0, d1 = c1, d2 = c2, d3 = c3;
        Input<int> ia0 = a0, ia1 = a1, ia2 = a2, ia3 = a3, ib0 = b0, ib1 = b1;
        CudaAsm.EmitRef(
            "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
            ref d0, ref d1, ref d2, ref d3, ref ia0, ref ia1, ref ia2, ref ia3, ref ib0, ref ib1);
        c0 = d0.Value;
        c1 = d1.Value;
        c2 = d2.Value;
        c3 = d3.Value;
    }

    /// <summary>
    /// The same product computed with warp shuffles and dp4a (any accelerator with 32-lane warps). Each lane fetches the
    /// four A registers of lane 4g+q (rows g and g+8) and the two B registers of lanes 4·(2t)+q and 4·(2t+1)+q
    /// (columns 2t, 2t+1) for q = 0..3: 12 shuffles of 16- and 8-byte structs (each shuffle is a warp barrier on the
    /// CPU accelerator, so fewer and wider is much faster there).
    /// </summary>
    public static void M16N8K32Emulated(
        ref int c0, ref int c1, ref int c2, ref int c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        int lane = ILGPU.Warp.LaneIdx;
        int g = lane >> 2, t = lane & 3;
        var a = new ARegisters(a0, a1, a2, a3);
        var b = new BRegisters(b0, b1);
        for (int q = 0; q < 4; q++)
        {
            // Lane 4g+q holds k 4q..4q+3 (R0, R1) and 16+4q.. (R2, R3) of rows g (R0, R2) and g+8 (R1, R3).
            var rows = ILGPU.Warp.Shuffle(a, (4 * g) + q);
            var n0 = ILGPU.Warp.Shuffle(b, (8 * t) + q);
            var n1 = ILGPU.Warp.Shuffle(b, (8 * t) + 4 + q);
            c0 = Dp4a.SS(rows.R2, n0.R1, Dp4a.SS(rows.R0, n0.R0, c0));
            c1 = Dp4a.SS(rows.R2, n1.R1, Dp4a.SS(rows.R0, n1.R0, c1));
            c2 = Dp4a.SS(rows.R3, n0.R1, Dp4a.SS(rows.R1, n0.R0, c2));
            c3 = Dp4a.SS(rows.R3, n1.R1, Dp4a.SS(rows.R1, n1.R0, c3));
        }
    }

    /// <summary>The four A registers of one lane, shuffled together.</summary>
    internal readonly record struct ARegisters(int R0, int R1, int R2, int R3);

    /// <summary>The two B registers of one lane, shuffled together.</summary>
    internal readonly record struct BRegisters(int R0, int R1);
}
