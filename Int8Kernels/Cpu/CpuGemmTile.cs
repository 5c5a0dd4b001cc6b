using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// The register-blocked INT8 GEMM micro-kernels for a tile of packed A rows against column blocks of a <see cref="PackedB"/>:
/// C[r][n] = Σ_k A[r][k]·B[n][k] in wrapping int32. A tile rows are packed as for <see cref="CpuGemmS8.PackA"/> (VNNI: u8 words
/// a + 128; AVX2: int16 pairs; scalar: s8 words) and the tile has a multiple of <see cref="Rows"/> rows (zero rows pad it).
/// One micro-kernel step updates 6 rows × 16 columns (12 vector accumulators) per K word: 2 B loads and 6 A broadcasts for
/// 12 multiply-adds.
/// </summary>
internal static unsafe class CpuGemmTile
{
    /// <summary>Rows of the micro-kernel.</summary>
    public const int Rows = 6;

    /// <summary>Words of one packed row (K padded to 4 bytes: K/4 words, or K/2 int16-pair words for AVX2).</summary>
    public static int WordsPerRow(int k, CpuIsa isa) => isa == CpuIsa.Avx2 ? PackedB.PaddedK(k) / 2 : PackedB.PaddedK(k) / 4;

    /// <summary>
    /// C[0..rows)[nb0·8 .. nb1·8) for a tile of <paramref name="rows"/> (a multiple of <see cref="Rows"/>) packed A rows;
    /// C has row stride <paramref name="ldc"/> (≥ the padded column count), <paramref name="words"/> pins B's words.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int* a, int rows, PackedB b, int* words, int nb0, int nb1, int* c, int ldc)
    {
        int wpr = WordsPerRow(b.K, b.Isa);
        for (var r0 = 0; r0 < rows; r0 += Rows)
        {
            int* ar = a + ((long)r0 * wpr);
            int* cr = c + ((long)r0 * ldc);
            var nb = nb0;
            for (; nb + 1 < nb1; nb += 2)
            {
                Micro(ar, wpr, b, words, nb, 2, cr, ldc);
            }

            if (nb < nb1)
            {
                Micro(ar, wpr, b, words, nb, 1, cr, ldc);
            }
        }
    }

    /// <summary>
    /// One packed VNNI row (batch 1 of a fully connected layer) against column blocks [nb0, nb1): no zero rows computed.
    /// Four column blocks at a time, K split into even and odd words (8 independent accumulators), then
    /// C = acc − 128·Σ_k B[n][k] as in the 6-row kernels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void VnniRow(int* a, PackedB b, int* words, int nb0, int nb1, int* c)
    {
        int wpr = WordsPerRow(b.K, b.Isa), stride = wpr * 8, even = wpr & ~1;
        var sums = b.ColumnSums;
        var nb = nb0;
        for (; nb + 4 <= nb1; nb += 4)
        {
            int* b0 = words + ((long)nb * stride);
            Vector256<int> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
            var i = 0;
            for (; i < even; i += 2)
            {
                var x = Vector256.Create(a[i]).AsByte();
                var y = Vector256.Create(a[i + 1]).AsByte();
                int* w = b0 + (i * 8);
                e0 = AvxVnni.MultiplyWideningAndAdd(e0, x, Avx.LoadVector256(w).AsSByte());
                e1 = AvxVnni.MultiplyWideningAndAdd(e1, x, Avx.LoadVector256(w + stride).AsSByte());
                e2 = AvxVnni.MultiplyWideningAndAdd(e2, x, Avx.LoadVector256(w + (2 * stride)).AsSByte());
                e3 = AvxVnni.MultiplyWideningAndAdd(e3, x, Avx.LoadVector256(w + (3 * stride)).AsSByte());
                o0 = AvxVnni.MultiplyWideningAndAdd(o0, y, Avx.LoadVector256(w + 8).AsSByte());
                o1 = AvxVnni.MultiplyWideningAndAdd(o1, y, Avx.LoadVector256(w + stride + 8).AsSByte());
                o2 = AvxVnni.MultiplyWideningAndAdd(o2, y, Avx.LoadVector256(w + (2 * stride) + 8).AsSByte());
                o3 = AvxVnni.MultiplyWideningAndAdd(o3, y, Avx.LoadVector256(w + (3 * stride) + 8).AsSByte());
            }

            if (i < wpr)
            {
                var x = Vector256.Create(a[i]).AsByte();
                int* w = b0 + (i * 8);
                e0 = AvxVnni.MultiplyWideningAndAdd(e0, x, Avx.LoadVector256(w).AsSByte());
                e1 = AvxVnni.MultiplyWideningAndAdd(e1, x, Avx.LoadVector256(w + stride).AsSByte());
                e2 = AvxVnni.MultiplyWideningAndAdd(e2, x, Avx.LoadVector256(w + (2 * stride)).AsSByte());
                e3 = AvxVnni.MultiplyWideningAndAdd(e3, x, Avx.LoadVector256(w + (3 * stride)).AsSByte());
            }

            (e0 + o0 - (Vector256.Create(sums, nb * 8) << 7)).Store(c + (nb * 8));
            (e1 + o1 - (Vector256.Create(sums, (nb + 1) * 8) << 7)).Store(c + ((nb + 1) * 8));
            (e2 + o2 - (Vector256.Create(sums, (nb + 2) * 8) << 7)).Store(c + ((nb + 2) * 8));
            (e3 + o3 - (Vector256.Create(sums, (nb + 3) * 8) << 7)).Store(c + ((nb + 3) * 8));
        }

        for (; nb < nb1; nb++)
        {
            int* b0 = words + ((long)nb * stride);
            Vector256<int> e = default, o = default;
            var i = 0;
            for (; i < even; i += 2)
            {
                e = AvxVnni.MultiplyWideningAndAdd(e, Vector256.Create(a[i]).AsByte(), Avx.LoadVector256(b0 + (i * 8)).AsSByte());
                o = AvxVnni.MultiplyWideningAndAdd(o, Vector256.Create(a[i + 1]).AsByte(), Avx.LoadVector256(b0 + (i * 8) + 8).AsSByte());
            }

            if (i < wpr)
            {
                e = AvxVnni.MultiplyWideningAndAdd(e, Vector256.Create(a[i]).AsByte(), Avx.LoadVector256(b0 + (i * 8)).AsSByte());
            }

            (e + o - (Vector256.Create(sums, nb * 8) << 7)).Store(c + (nb * 8));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro(int* a, int wpr, PackedB b, int* words, int nb, int blocks, int* c, int ldc)
    {
        switch (b.Isa)
        {
            case CpuIsa.AvxVnni:
                if (blocks == 2)
                {
                    Vnni6x16(a, wpr, words + ((long)nb * wpr * 8), words + ((long)(nb + 1) * wpr * 8), b.ColumnSums, nb, c + (nb * 8), ldc);
                }
                else
                {
                    Vnni6x8(a, wpr, words + ((long)nb * wpr * 8), b.ColumnSums, nb, c + (nb * 8), ldc);
                }

                break;
            case CpuIsa.Avx2:
                for (var j = 0; j < blocks; j++)
                {
                    Avx2x6x8(a, wpr, words + ((long)(nb + j) * wpr * 8), c + ((nb + j) * 8), ldc);
                }

                break;
            default:
                for (var j = 0; j < blocks; j++)
                {
                    Scalar6x8(a, wpr, words + ((long)(nb + j) * wpr * 8), c + ((nb + j) * 8), ldc);
                }

                break;
        }
    }

    // acc += vpdpbusd(u8 a-word broadcast, 8 s8 B words) for 6 rows × 2 column blocks; then C = acc − 128·Σ_k B[n][k].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni6x16(int* a, int wpr, int* b0, int* b1, int[] sums, int nb, int* c, int ldc)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int* a1 = a + wpr, a2 = a1 + wpr, a3 = a2 + wpr, a4 = a3 + wpr, a5 = a4 + wpr;
        for (var i = 0; i < wpr; i++)
        {
            var v0 = Avx.LoadVector256(b0 + (i * 8)).AsSByte();
            var v1 = Avx.LoadVector256(b1 + (i * 8)).AsSByte();
            var x = Vector256.Create(a[i]).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, v0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, v1);
            x = Vector256.Create(a1[i]).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, v0);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, v1);
            x = Vector256.Create(a2[i]).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, v0);
            c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, v1);
            x = Vector256.Create(a3[i]).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, v0);
            c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, v1);
            x = Vector256.Create(a4[i]).AsByte();
            c40 = AvxVnni.MultiplyWideningAndAdd(c40, x, v0);
            c41 = AvxVnni.MultiplyWideningAndAdd(c41, x, v1);
            x = Vector256.Create(a5[i]).AsByte();
            c50 = AvxVnni.MultiplyWideningAndAdd(c50, x, v0);
            c51 = AvxVnni.MultiplyWideningAndAdd(c51, x, v1);
        }

        // Σ (a + 128)·b − 128·Σ b = Σ a·b (wrapping int32).
        var k0 = Vector256.Create(sums, nb * 8) << 7;
        var k1 = Vector256.Create(sums, (nb + 1) * 8) << 7;
        (c00 - k0).Store(c);
        (c01 - k1).Store(c + 8);
        (c10 - k0).Store(c + ldc);
        (c11 - k1).Store(c + ldc + 8);
        (c20 - k0).Store(c + (2 * ldc));
        (c21 - k1).Store(c + (2 * ldc) + 8);
        (c30 - k0).Store(c + (3 * ldc));
        (c31 - k1).Store(c + (3 * ldc) + 8);
        (c40 - k0).Store(c + (4 * ldc));
        (c41 - k1).Store(c + (4 * ldc) + 8);
        (c50 - k0).Store(c + (5 * ldc));
        (c51 - k1).Store(c + (5 * ldc) + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni6x8(int* a, int wpr, int* b0, int[] sums, int nb, int* c, int ldc)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (var i = 0; i < wpr; i++)
        {
            var v = Avx.LoadVector256(b0 + (i * 8)).AsSByte();
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, Vector256.Create(a[i]).AsByte(), v);
            c1 = AvxVnni.MultiplyWideningAndAdd(c1, Vector256.Create(a[wpr + i]).AsByte(), v);
            c2 = AvxVnni.MultiplyWideningAndAdd(c2, Vector256.Create(a[(2 * wpr) + i]).AsByte(), v);
            c3 = AvxVnni.MultiplyWideningAndAdd(c3, Vector256.Create(a[(3 * wpr) + i]).AsByte(), v);
            c4 = AvxVnni.MultiplyWideningAndAdd(c4, Vector256.Create(a[(4 * wpr) + i]).AsByte(), v);
            c5 = AvxVnni.MultiplyWideningAndAdd(c5, Vector256.Create(a[(5 * wpr) + i]).AsByte(), v);
        }

        var k0 = Vector256.Create(sums, nb * 8) << 7;
        (c0 - k0).Store(c);
        (c1 - k0).Store(c + ldc);
        (c2 - k0).Store(c + (2 * ldc));
        (c3 - k0).Store(c + (3 * ldc));
        (c4 - k0).Store(c + (4 * ldc));
        (c5 - k0).Store(c + (5 * ldc));
    }

    // acc += vpmaddwd(int16 pair broadcast, 8 int16-pair B words): exact int32 lanes, no int16 saturation.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2x6x8(int* a, int wpr, int* b0, int* c, int ldc)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (var i = 0; i < wpr; i++)
        {
            var v = Avx.LoadVector256(b0 + (i * 8)).AsInt16();
            c0 += Avx2.MultiplyAddAdjacent(Vector256.Create(a[i]).AsInt16(), v);
            c1 += Avx2.MultiplyAddAdjacent(Vector256.Create(a[wpr + i]).AsInt16(), v);
            c2 += Avx2.MultiplyAddAdjacent(Vector256.Create(a[(2 * wpr) + i]).AsInt16(), v);
            c3 += Avx2.MultiplyAddAdjacent(Vector256.Create(a[(3 * wpr) + i]).AsInt16(), v);
            c4 += Avx2.MultiplyAddAdjacent(Vector256.Create(a[(4 * wpr) + i]).AsInt16(), v);
            c5 += Avx2.MultiplyAddAdjacent(Vector256.Create(a[(5 * wpr) + i]).AsInt16(), v);
        }

        c0.Store(c);
        c1.Store(c + ldc);
        c2.Store(c + (2 * ldc));
        c3.Store(c + (3 * ldc));
        c4.Store(c + (4 * ldc));
        c5.Store(c + (5 * ldc));
    }

    // c = Σ over the 4 bytes of each word pair a·b (portable).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scalar6x8(int* a, int wpr, int* b0, int* c, int ldc)
    {
        for (var r = 0; r < Rows; r++)
        {
            for (var lane = 0; lane < 8; lane++)
            {
                int sum = 0;
                for (var i = 0; i < wpr; i++)
                {
                    int wa = a[(r * wpr) + i], wb = b0[(i * 8) + lane];
                    sum = unchecked(sum + ((sbyte)wa * (sbyte)wb) + ((sbyte)(wa >> 8) * (sbyte)(wb >> 8))
                        + ((sbyte)(wa >> 16) * (sbyte)(wb >> 16)) + ((sbyte)(wa >> 24) * (sbyte)(wb >> 24)));
                }

                c[(r * ldc) + lane] = sum;
            }
        }
    }
}
