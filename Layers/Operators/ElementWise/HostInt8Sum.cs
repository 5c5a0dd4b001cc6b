using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// The integer sum of <see cref="Int8ElementWise.Sum"/>, 8 elements at a time: in int64 lanes with AVX-512 (the formula
/// itself), else in double lanes.
/// </summary>
internal static unsafe class HostInt8Sum
{
    /// <summary>
    /// y = clamp((a·M_a + b·M_b + 2^(k−1)) >> k, lo, 127) for i in [i0, end of the last whole group of 8). With AVX-512
    /// and |M| &lt; 2^31 (<paramref name="allow512"/>): in 8 int64 lanes, the products by vpmuldq (signed 32×32 → 64),
    /// the shift arithmetic (a floor), as the formula. Otherwise floor((a·M_a + b·M_b + 2^(k−1)) · 2^−k) in double, exact
    /// because |a·M_a + b·M_b| &lt; 2^39 &lt; 2^53 (M ≤ 2^30) and a power-of-two scale is exact, so it equals the int64
    /// shift bit for bit. Returns where it stopped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Run(sbyte* a, sbyte* b, sbyte* y, long i0, long i1, long ma, long mb, int shift, int lo, bool allow512 = true)
    {
        if (allow512 && Avx512F.IsSupported && ma is > int.MinValue and <= int.MaxValue && mb is > int.MinValue and <= int.MaxValue)
        {
            return RunInt64(a, b, y, i0, i1, (int)ma, (int)mb, shift, lo);
        }

        var vma = Vector256.Create((double)ma);
        var vmb = Vector256.Create((double)mb);
        var half = Vector256.Create(shift > 0 ? Math.ScaleB(1.0, shift - 1) : 0.0);
        var inverse = Vector256.Create(Math.ScaleB(1.0, -shift));
        var vlo = Vector256.Create((double)lo);
        var vhi = Vector256.Create(127.0);
        var i = i0;
        for (; i + 8 <= i1; i += 8)
        {
            var wa = Vector128.WidenLower(Vector128.CreateScalar(*(long*)(a + i)).AsSByte());
            var wb = Vector128.WidenLower(Vector128.CreateScalar(*(long*)(b + i)).AsSByte());
            var lo4 = Quarter(Vector128.WidenLower(wa), Vector128.WidenLower(wb), vma, vmb, half, inverse, vlo, vhi);
            var hi4 = Quarter(Vector128.WidenUpper(wa), Vector128.WidenUpper(wb), vma, vmb, half, inverse, vlo, vhi);
            var shorts = Vector128.Narrow(lo4, hi4);
            *(long*)(y + i) = Vector128.Narrow(shorts, shorts).AsInt64().ToScalar();
        }

        return i;
    }

    // The formula in int64 lanes: |a·M_a + b·M_b + 2^(k−1)| < 2^39 + 2^62 fits; vpmuldq multiplies the low dwords
    // (a sign-extended to 64 bits has itself there; the broadcast M too); vpsraq floors; vpmovqb keeps the clamped byte.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long RunInt64(sbyte* a, sbyte* b, sbyte* y, long i0, long i1, int ma, int mb, int shift, int lo)
    {
        var vma = Vector512.Create((long)ma).AsInt32();
        var vmb = Vector512.Create((long)mb).AsInt32();
        var half = Vector512.Create(shift > 0 ? 1L << (shift - 1) : 0L);
        var vlo = Vector512.Create((long)lo);
        var vhi = Vector512.Create(127L);
        var k = Vector128.CreateScalar((long)shift);
        var i = i0;
        for (; i + 8 <= i1; i += 8)
        {
            var wa = Avx512F.ConvertToVector512Int64(Vector128.CreateScalar(*(long*)(a + i)).AsSByte()).AsInt32();
            var wb = Avx512F.ConvertToVector512Int64(Vector128.CreateScalar(*(long*)(b + i)).AsSByte()).AsInt32();
            var sum = Avx512F.Multiply(wa, vma) + Avx512F.Multiply(wb, vmb) + half;
            var q = Avx512F.Min(Avx512F.Max(Avx512F.ShiftRightArithmetic(sum, k), vlo), vhi);
            *(long*)(y + i) = Avx512F.ConvertToVector128SByte(q).AsInt64().ToScalar();
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Quarter(Vector128<int> a, Vector128<int> b, Vector256<double> ma, Vector256<double> mb, Vector256<double> half, Vector256<double> inverse, Vector256<double> lo, Vector256<double> hi)
    {
        var v = (Avx.ConvertToVector256Double(a) * ma) + (Avx.ConvertToVector256Double(b) * mb);
        var q = Vector256.Floor((v + half) * inverse);
        return Avx.ConvertToVector128Int32WithTruncation(Vector256.Min(Vector256.Max(q, lo), hi));
    }
}
