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
public static class Mma
{
    /// <summary>Accumulates one m16n8k32 product into (c0..c3). Call from all 32 lanes of a warp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void M16N8K32(
        ref int c0, ref int c1, ref int c2, ref int c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        if (CudaAsm.IsSupported)
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
            return;
        }

        MmaFallback(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
    }

    // Scalar twin: each lane gathers the A rows and B columns it needs from the other lanes.
    // Row g of A is held by lanes 4g..4g+3 (a0: k 4t.., a2: k 16+4t..); row g+8 in a1/a3 of the same lanes.
    // Column n of B is held by lanes 4n..4n+3 (b0: k 4t.., b1: k 16+4t..).
    private static void MmaFallback(
        ref int c0, ref int c1, ref int c2, ref int c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        int lane = ILGPU.Warp.LaneIdx;
        int g = lane >> 2, t = lane & 3;
        int n0 = 2 * t, n1 = (2 * t) + 1;
        for (int q = 0; q < 4; q++)
        {
            int rowLane = (4 * g) + q;
            int aLo0 = ILGPU.Warp.Shuffle(a0, rowLane);
            int aHi0 = ILGPU.Warp.Shuffle(a2, rowLane);
            int aLo1 = ILGPU.Warp.Shuffle(a1, rowLane);
            int aHi1 = ILGPU.Warp.Shuffle(a3, rowLane);
            int bLoN0 = ILGPU.Warp.Shuffle(b0, (4 * n0) + q);
            int bHiN0 = ILGPU.Warp.Shuffle(b1, (4 * n0) + q);
            int bLoN1 = ILGPU.Warp.Shuffle(b0, (4 * n1) + q);
            int bHiN1 = ILGPU.Warp.Shuffle(b1, (4 * n1) + q);
            c0 = Dp4a.SS(aHi0, bHiN0, Dp4a.SS(aLo0, bLoN0, c0));
            c1 = Dp4a.SS(aHi0, bHiN1, Dp4a.SS(aLo0, bLoN1, c1));
            c2 = Dp4a.SS(aHi1, bHiN0, Dp4a.SS(aLo1, bLoN0, c2));
            c3 = Dp4a.SS(aHi1, bHiN1, Dp4a.SS(aLo1, bLoN1, c3));
        }
    }
}
