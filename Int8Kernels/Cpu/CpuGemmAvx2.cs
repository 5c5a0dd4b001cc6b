using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// AVX2 block: acc += vpmaddwd(broadcast int16 pair (a_k, a_k+1), B int16 pairs of 8 columns) over K/2 steps:
/// each lane adds a_k·b_k + a_k+1·b_k+1 exactly in int32 (no int16 saturation, unlike vpmaddubsw).
/// </summary>
internal static class CpuGemmAvx2
{
    /// <summary>Rows m0..m0+rows−1 of C, column blocks [nbStart, nbEnd) of 8.</summary>
    public static void Block(int[] packedA, int m0, int rows, PackedB b, int[] c, int nbStart, int nbEnd)
    {
        int k2 = PackedB.PaddedK(b.K) / 2;
        ReadOnlySpan<int> words = b.Words;
        Span<int> tmp = stackalloc int[8];
        for (var nb = nbStart; nb < nbEnd; nb++)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            var acc2 = Vector256<int>.Zero;
            var acc3 = Vector256<int>.Zero;
            ref int bBase = ref Unsafe.Add(ref MemoryMarshal.GetReference(words), nb * k2 * 8);
            int a0 = m0 * k2, a1 = Math.Min(m0 + 1, m0 + rows - 1) * k2, a2 = Math.Min(m0 + 2, m0 + rows - 1) * k2, a3 = Math.Min(m0 + 3, m0 + rows - 1) * k2;
            for (var i = 0; i < k2; i++)
            {
                var bv = Vector256.LoadUnsafe(ref bBase, (nuint)(i * 8)).AsInt16();
                acc0 += Avx2.MultiplyAddAdjacent(Vector256.Create(packedA[a0 + i]).AsInt16(), bv);
                acc1 += Avx2.MultiplyAddAdjacent(Vector256.Create(packedA[a1 + i]).AsInt16(), bv);
                acc2 += Avx2.MultiplyAddAdjacent(Vector256.Create(packedA[a2 + i]).AsInt16(), bv);
                acc3 += Avx2.MultiplyAddAdjacent(Vector256.Create(packedA[a3 + i]).AsInt16(), bv);
            }

            CpuGemmVnni.Store(acc0, c, m0, nb, b.N, tmp);
            if (rows > 1)
            {
                CpuGemmVnni.Store(acc1, c, m0 + 1, nb, b.N, tmp);
            }

            if (rows > 2)
            {
                CpuGemmVnni.Store(acc2, c, m0 + 2, nb, b.N, tmp);
            }

            if (rows > 3)
            {
                CpuGemmVnni.Store(acc3, c, m0 + 3, nb, b.N, tmp);
            }
        }
    }
}
