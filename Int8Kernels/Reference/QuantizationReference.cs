using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// Scalar references of the quantization kernels over spans. channel(i) = (i / inner) mod channels, one scale per channel
/// (a single scale with inner = length is per tensor).
/// </summary>
internal static class QuantizationReference
{
    /// <summary>q[i] = clamp(round_half_even(x[i] · (1/s[c(i)])), -127, 127), 1/s rounded to float; NaN → 0, ±Inf → ±127.</summary>
    public static sbyte[] Quantize(ReadOnlySpan<float> x, ReadOnlySpan<float> scales, int inner)
    {
        var q = new sbyte[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            q[i] = (sbyte)ArchReference.FloatToInt8Symmetric(x[i] * (1f / scales[(i / inner) % scales.Length]));
        }

        return q;
    }

    /// <summary>x[i] = q[i] · s[c(i)].</summary>
    public static float[] Dequantize(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, int inner)
    {
        var x = new float[q.Length];
        for (var i = 0; i < q.Length; i++)
        {
            x[i] = q[i] * scales[(i / inner) % scales.Length];
        }

        return x;
    }

    /// <summary>y[i] = clamp(round_half_even(f32(acc + bias[c]) · m[c]), lo, 127), the sum in int64.</summary>
    public static sbyte[] RequantizeFloat(ReadOnlySpan<int> acc, ReadOnlySpan<int> bias, ReadOnlySpan<float> multiplier, int inner, bool relu)
    {
        var y = new sbyte[acc.Length];
        for (var i = 0; i < acc.Length; i++)
        {
            var c = (i / inner) % bias.Length;
            var v = (float)((long)acc[i] + bias[c]) * multiplier[c];
            y[i] = (sbyte)Math.Max(ArchReference.FloatToInt8Symmetric(v), relu ? 0 : -127);
        }

        return y;
    }

    /// <summary>
    /// The integer-only requantize in exact 128-bit arithmetic: y = clamp(round_away(round_half_up(s·M / 2^31) / 2^r), lo, 127),
    /// s = sat32(sat32(acc + bias) · 2^l), l = max(e, 0), r = max(−e, 0).
    /// </summary>
    public static sbyte[] RequantizeFixedPoint(ReadOnlySpan<int> acc, ReadOnlySpan<int> bias, ReadOnlySpan<double> multiplier, int inner, bool relu)
    {
        var y = new sbyte[acc.Length];
        for (var i = 0; i < acc.Length; i++)
        {
            var c = (i / inner) % bias.Length;
            var (m, e) = FixedPointMultiplier.FromDouble(multiplier[c]);
            long s = Math.Clamp(((long)acc[i] + bias[c]) << Math.Max(e, 0), int.MinValue, int.MaxValue);
            long high = s == int.MinValue && m == int.MinValue ? int.MaxValue : (long)(((Int128)s * m + ((Int128)1 << 30)) >> 31);
            long v = RoundAway(high, Math.Max(-e, 0));
            y[i] = (sbyte)Math.Clamp(v, relu ? 0 : -127, 127);
        }

        return y;
    }

    // x / 2^n rounded to nearest, ties away from zero.
    private static long RoundAway(Int128 x, int n)
    {
        if (n == 0)
        {
            return (long)x;
        }

        Int128 half = (Int128)1 << (n - 1);
        Int128 magnitude = x < 0 ? -x : x;
        Int128 r = (magnitude + half) >> n;
        return (long)(x < 0 ? -r : r);
    }
}
