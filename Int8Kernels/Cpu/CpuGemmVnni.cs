using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// AVX-VNNI block: for up to 4 rows and all column blocks of 8, acc += vpdpbusd(u8 a-word broadcast, s8 B words) over
/// K/4 steps, where the activations carry +128 (u8 = a + 128); then C = acc − 128·Σ_k B[n][k], which is exactly Σ a·b.
/// </summary>
internal static class CpuGemmVnni
{
    /// <summary>Rows m0..m0+rows−1 of C, column blocks [nbStart, nbEnd) of 8.</summary>
    public static void Block(int[] packedA, int m0, int rows, PackedB b, int[] c, int nbStart, int nbEnd)
    {
        int kw = PackedB.PaddedK(b.K) / 4;
        ReadOnlySpan<int> words = b.Words;
        Span<int> tmp = stackalloc int[8];
        for (var nb = nbStart; nb < nbEnd; nb++)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            var acc2 = Vector256<int>.Zero;
            var acc3 = Vector256<int>.Zero;
            ref int bBase = ref Unsafe.Add(ref MemoryMarshal.GetReference(words), nb * kw * 8);
            int a0 = m0 * kw, a1 = Math.Min(m0 + 1, m0 + rows - 1) * kw, a2 = Math.Min(m0 + 2, m0 + rows - 1) * kw, a3 = Math.Min(m0 + 3, m0 + rows - 1) * kw;
            for (var i = 0; i < kw; i++)
            {
                var bv = Vector256.LoadUnsafe(ref bBase, (nuint)(i * 8)).AsSByte();
                acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.Create(packedA[a0 + i]).AsByte(), bv);
                acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Vector256.Create(packedA[a1 + i]).AsByte(), bv);
                acc2 = AvxVnni.MultiplyWideningAndAdd(acc2, Vector256.Create(packedA[a2 + i]).AsByte(), bv);
                acc3 = AvxVnni.MultiplyWideningAndAdd(acc3, Vector256.Create(packedA[a3 + i]).AsByte(), bv);
            }

            // Undo the +128 offset: Σ (a + 128)·b − 128·Σ b = Σ a·b (wrapping int32 throughout).
            var correction = Vector256.Create(b.ColumnSums, nb * 8) << 7;
            Store(acc0 - correction, c, m0, nb, b.N, tmp);
            if (rows > 1)
            {
                Store(acc1 - correction, c, m0 + 1, nb, b.N, tmp);
            }

            if (rows > 2)
            {
                Store(acc2 - correction, c, m0 + 2, nb, b.N, tmp);
            }

            if (rows > 3)
            {
                Store(acc3 - correction, c, m0 + 3, nb, b.N, tmp);
            }
        }
    }

    /// <summary>Writes the (up to) 8 valid columns of a block of row <paramref name="row"/>.</summary>
    internal static void Store(Vector256<int> v, int[] c, int row, int nb, int n, Span<int> tmp)
    {
        int col = nb * 8, count = Math.Min(8, n - col);
        if (count == 8)
        {
            v.CopyTo(c, (row * n) + col);
            return;
        }

        v.CopyTo(tmp);
        tmp[..count].CopyTo(c.AsSpan((row * n) + col, count));
    }
}
