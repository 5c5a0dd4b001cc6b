using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>The 6-pixel × 16-channel kernel of <see cref="CpuDirectFused"/> over pixels packed back to back (<see cref="PacksPixels"/>).</summary>
internal static unsafe partial class CpuDirectFused
{
    // 6 pixels × 16 channels (12 accumulators from init, 2 weight loads and 6 broadcasts a word, as the im2col GEMM's
    // micro-kernel): pixel i's words at a + i·ld, `wpr` of them; channels k0..k0+7 at b, k0+8..k0+15 at b + stride. Sums
    // = init + Σ_w vpdpbusd(u8 word, s8 weights) (the +128 offset undone in init), then the sink's 16-lane requantize for
    // the first `valid` pixels, pixel i to y + i·ystride.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni6x16(sbyte* a, int ld, int wpr, int* b, long stride, int* init, float* mult, int lo, sbyte* y, int ystride, int valid)
    {
        var i0 = Vector256.Load(init);
        var i1 = Vector256.Load(init + 8);
        Vector256<int> c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1, c40 = i0, c41 = i1, c50 = i0, c51 = i1;
        int* a0 = (int*)a, a1 = (int*)(a + ld), a2 = (int*)(a + (2 * ld)), a3 = (int*)(a + (3 * ld)), a4 = (int*)(a + (4 * ld)), a5 = (int*)(a + (5 * ld));
        int* b1 = b + stride;
        for (var j = 0; j < wpr; j++, b += 8, b1 += 8)
        {
            var v0 = Avx.LoadVector256(b).AsSByte();
            var v1 = Avx.LoadVector256(b1).AsSByte();
            var x = Vector256.Create(a0[j]).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, v0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, v1);
            x = Vector256.Create(a1[j]).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, v0);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, v1);
            x = Vector256.Create(a2[j]).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, v0);
            c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, v1);
            x = Vector256.Create(a3[j]).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, v0);
            c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, v1);
            x = Vector256.Create(a4[j]).AsByte();
            c40 = AvxVnni.MultiplyWideningAndAdd(c40, x, v0);
            c41 = AvxVnni.MultiplyWideningAndAdd(c41, x, v1);
            x = Vector256.Create(a5[j]).AsByte();
            c50 = AvxVnni.MultiplyWideningAndAdd(c50, x, v0);
            c51 = AvxVnni.MultiplyWideningAndAdd(c51, x, v1);
        }

        var m = Vector256.Load(mult);
        var n = Vector256.Load(mult + 8);
        var lov = Vector256.Create((float)lo);
        var hiv = Vector256.Create(127f);
        Store16Avx2(c00, c01, m, n, lov, hiv, y);
        if (valid > 1)
        {
            Store16Avx2(c10, c11, m, n, lov, hiv, y + ystride);
        }

        if (valid > 2)
        {
            Store16Avx2(c20, c21, m, n, lov, hiv, y + (2 * ystride));
        }

        if (valid > 3)
        {
            Store16Avx2(c30, c31, m, n, lov, hiv, y + (3 * ystride));
        }

        if (valid > 4)
        {
            Store16Avx2(c40, c41, m, n, lov, hiv, y + (4 * ystride));
        }

        if (valid > 5)
        {
            Store16Avx2(c50, c51, m, n, lov, hiv, y + (5 * ystride));
        }
    }

    // Store16 in 256-bit operations only (no 512-bit uop between the 256-bit vpdpbusd runs): the same formula, f =
    // min(max(f32(sum)·m, lo), 127) converted with round half to even, then packed to bytes (exact: f is in [lo, 127]).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16Avx2(Vector256<int> low, Vector256<int> high, Vector256<float> m0, Vector256<float> m1, Vector256<float> lo, Vector256<float> hi, sbyte* y)
    {
        var f0 = Avx.Min(Avx.Max(Avx.ConvertToVector256Single(low) * m0, lo), hi);
        var f1 = Avx.Min(Avx.Max(Avx.ConvertToVector256Single(high) * m1, lo), hi);

        // packssdw interleaves the 128-bit lanes (low 0-3, high 0-3 | low 4-7, high 4-7): vpermq puts them in order.
        var w = Avx2.Permute4x64(Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(f0), Avx.ConvertToVector256Int32(f1)).AsInt64(), 0b11_01_10_00).AsInt16();
        Sse2.PackSignedSaturate(w.GetLower(), w.GetUpper()).Store(y);
    }
}
