using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>The 16-channel kernel of <see cref="CpuDirectFused"/> (≤ 4 reduction words, the weights in registers) and the shared 16-lane store.</summary>
internal static unsafe partial class CpuDirectFused
{
    // 16 channels, ≤ 4 words a pixel (word w = (r, j) at a + r·rowBytes + 4·j), the weights in 8 registers; one row of q
    // outputs. down = 0: output x is pixel a + x·stepW. down > 0: output x is the max of the 2×2 window of pixels
    // a + (2x + dx)·stepW + dy·down (the sums' max, requantized once: see PoolApplies). The word count is a type
    // argument, so the JIT compiles one loop per count without a branch per word (a runtime count left the branches
    // in every pixel and spilled weight registers across them: conv1 of the Fashion CNN ran ~3× its VNNI bound).
    private static void Small16(sbyte* a, int q, long stepW, long rowBytes, int runWords, int wpr, int* words, int* init, float* mult, int lo, sbyte* y, int stride, long down)
    {
        switch (wpr)
        {
            case 1:
                Small16<Words1>(a, q, stepW, rowBytes, runWords, words, init, mult, lo, y, stride, down);
                break;
            case 2:
                Small16<Words2>(a, q, stepW, rowBytes, runWords, words, init, mult, lo, y, stride, down);
                break;
            case 3:
                Small16<Words3>(a, q, stepW, rowBytes, runWords, words, init, mult, lo, y, stride, down);
                break;
            default:
                Small16<Words4>(a, q, stepW, rowBytes, runWords, words, init, mult, lo, y, stride, down);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Small16<TWords>(sbyte* a, int q, long stepW, long rowBytes, int runWords, int* words, int* init, float* mult, int lo, sbyte* y, int stride, long down)
        where TWords : struct, IWordCount
    {
        int wpr = default(TWords).Count;

        // Word w of a pixel at a + (w / W)·rowBytes + 4·(w % W); its 16 channels' weights at words + w·8 and (wpr + w)·8.
        long o1 = WordOffset(1, runWords, rowBytes), o2 = WordOffset(2, runWords, rowBytes), o3 = WordOffset(3, runWords, rowBytes);
        var b00 = Avx.LoadVector256(words).AsSByte();
        var b10 = Avx.LoadVector256(words + (wpr * 8)).AsSByte();
        var b01 = wpr > 1 ? Avx.LoadVector256(words + 8).AsSByte() : default;
        var b11 = wpr > 1 ? Avx.LoadVector256(words + ((wpr + 1) * 8)).AsSByte() : default;
        var b02 = wpr > 2 ? Avx.LoadVector256(words + 16).AsSByte() : default;
        var b12 = wpr > 2 ? Avx.LoadVector256(words + ((wpr + 2) * 8)).AsSByte() : default;
        var b03 = wpr > 3 ? Avx.LoadVector256(words + 24).AsSByte() : default;
        var b13 = wpr > 3 ? Avx.LoadVector256(words + ((wpr + 3) * 8)).AsSByte() : default;
        var i0 = Vector256.Load(init);
        var i1 = Vector256.Load(init + 8);
        var m0 = Vector256.Load(mult);
        var m1 = Vector256.Load(mult + 8);
        var lov = Vector256.Create((float)lo);
        var hiv = Vector256.Create(127f);
        if (down == 0)
        {
            for (var x = 0; x < q; x++, a += stepW, y += stride)
            {
                Pixel(a, 0, o1, o2, o3, b00, b01, b02, b03, b10, b11, b12, b13, wpr, i0, i1, out var c0, out var c1);
                Store16(c0, c1, m0, m1, lov, hiv, y);
            }

            return;
        }

        for (var x = 0; x < q; x++, a += 2 * stepW, y += stride)
        {
            Pixel(a, 0, o1, o2, o3, b00, b01, b02, b03, b10, b11, b12, b13, wpr, i0, i1, out var c0, out var c1);
            Pixel(a + stepW, 0, o1, o2, o3, b00, b01, b02, b03, b10, b11, b12, b13, wpr, i0, i1, out var d0, out var d1);
            Pixel(a + down, 0, o1, o2, o3, b00, b01, b02, b03, b10, b11, b12, b13, wpr, i0, i1, out var e0, out var e1);
            Pixel(a + down + stepW, 0, o1, o2, o3, b00, b01, b02, b03, b10, b11, b12, b13, wpr, i0, i1, out var f0, out var f1);
            Store16(Vector256.Max(Vector256.Max(c0, d0), Vector256.Max(e0, f0)), Vector256.Max(Vector256.Max(c1, d1), Vector256.Max(e1, f1)), m0, m1, lov, hiv, y);
        }
    }

    // Byte offset of word w of a pixel's R runs of W words: (w / W)·rowBytes + 4·(w % W).
    private static long WordOffset(int w, int runWords, long rowBytes) => ((w / runWords) * rowBytes) + ((w % runWords) * 4);

    /// <summary>A word count as a type (the JIT folds <see cref="Count"/> per struct type argument).</summary>
    private interface IWordCount
    {
        int Count { get; }
    }

    private readonly struct Words1 : IWordCount
    {
        public int Count => 1;
    }

    private readonly struct Words2 : IWordCount
    {
        public int Count => 2;
    }

    private readonly struct Words3 : IWordCount
    {
        public int Count => 3;
    }

    private readonly struct Words4 : IWordCount
    {
        public int Count => 4;
    }

    // One pixel's 16 sums: init + Σ_w vpdpbusd(word w of the pixel, weights of word w), channels 0-7 and 8-15.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pixel(
        sbyte* a, long o0, long o1, long o2, long o3, Vector256<sbyte> b00, Vector256<sbyte> b01, Vector256<sbyte> b02, Vector256<sbyte> b03,
        Vector256<sbyte> b10, Vector256<sbyte> b11, Vector256<sbyte> b12, Vector256<sbyte> b13, int wpr, Vector256<int> i0, Vector256<int> i1, out Vector256<int> c0, out Vector256<int> c1)
    {
        var x0 = Vector256.Create(*(int*)(a + o0)).AsByte();
        c0 = AvxVnni.MultiplyWideningAndAdd(i0, x0, b00);
        c1 = AvxVnni.MultiplyWideningAndAdd(i1, x0, b10);
        if (wpr > 1)
        {
            var x1 = Vector256.Create(*(int*)(a + o1)).AsByte();
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, x1, b01);
            c1 = AvxVnni.MultiplyWideningAndAdd(c1, x1, b11);
        }

        if (wpr > 2)
        {
            var x2 = Vector256.Create(*(int*)(a + o2)).AsByte();
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, x2, b02);
            c1 = AvxVnni.MultiplyWideningAndAdd(c1, x2, b12);
        }

        if (wpr > 3)
        {
            var x3 = Vector256.Create(*(int*)(a + o3)).AsByte();
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, x3, b03);
            c1 = AvxVnni.MultiplyWideningAndAdd(c1, x3, b13);
        }
    }

    // The sink's 16-lane formula on sum = acc + bias (already in the accumulators), in 256-bit operations: f =
    // min(max(f32(sum)·m, lo), 127) per 8 lanes, cvtps2dq (round half to even), then packed to bytes (exact: f is in
    // [lo, 127]). vmaxps/vminps, not Vector256.Max/Min (IEEE maximum: a range-and-fixup sequence for NaN and −0): f is
    // never NaN (finite multipliers) and ±0 both convert to 0. Not 512-bit: the sink's Vector512 code (one vcvtdq2ps,
    // vmulps, vcvtps2dq, vpmovsdb a 16 lanes) between these kernels' 256-bit vpdpbusd runs cost the Fashion conv2 ~25 %
    // and the ResNet stem ~25 % (cpu-engine --only layers, 2026-12-06): 512-bit uops in flight close port 1's vector units.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16(Vector256<int> low, Vector256<int> high, Vector256<float> m0, Vector256<float> m1, Vector256<float> lo, Vector256<float> hi, sbyte* y)
    {
        var f0 = Avx.Min(Avx.Max(Avx.ConvertToVector256Single(low) * m0, lo), hi);
        var f1 = Avx.Min(Avx.Max(Avx.ConvertToVector256Single(high) * m1, lo), hi);

        // packssdw works per 128-bit lane (low 0-3, high 0-3 | low 4-7, high 4-7): vpermq puts the four quarters in order.
        var w = Avx2.Permute4x64(Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(f0), Avx.ConvertToVector256Int32(f1)).AsInt64(), 0b11_01_10_00).AsInt16();
        Sse2.PackSignedSaturate(w.GetLower(), w.GetUpper()).Store(y);
    }
}
