using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// gemmlowp-style fixed-point arithmetic for integer-only requantization (the seed's "floating point to fixed point").
/// A real multiplier m &gt; 0 is stored as a Q31 integer M in [2^30, 2^31) and an exponent e:
/// m = M · 2^(e − 31). Applying it to x: left shift by max(e, 0) (saturating), then
/// SaturatingRoundingDoublingHighMul by M, then RoundingDivideByPOT by max(−e, 0).
/// </summary>
public static class FixedPointMultiplier
{
    /// <summary>
    /// Multipliers must be below this, 2^31 − 1/2: larger ones round to M = 2^31 at e = 31, and e = 32 would need a
    /// left shift past what an int32 sum can take (no int32 result could use such a multiplier anyway).
    /// </summary>
    public const double Limit = 2147483647.5;

    /// <summary>
    /// (M, e) with m = M · 2^(e − 31), M = round_half_away(m · 2^(31 − e)) in [2^30, 2^31), e in [−31, 31]; m = 0 gives
    /// (0, 0). Throws for m &lt; 0, NaN, ±Inf or m ≥ <see cref="Limit"/>; e below −31 (m &lt; 2^-32 after rounding) flushes to (0, 0).
    /// </summary>
    public static (int Multiplier, int Shift) FromDouble(double m)
    {
        if (double.IsNaN(m) || double.IsInfinity(m) || m < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), m, "The multiplier must be finite and ≥ 0.");
        }

        if (m >= Limit)
        {
            throw new ArgumentOutOfRangeException(nameof(m), m, "The multiplier must be < 2^31 - 1/2.");
        }

        if (m == 0)
        {
            return (0, 0);
        }

        // m = f · 2^e with f in [0.5, 1); M = round(f · 2^31).
        int e = Math.ILogB(m) + 1;
        double f = Math.ScaleB(m, -e);
        long q = (long)Math.Round(f * 2147483648.0, MidpointRounding.AwayFromZero);
        if (q == 1L << 31)
        {
            q /= 2;
            e++;
        }

        if (e < -31)
        {
            return (0, 0);
        }

        return ((int)q, e);
    }

    /// <summary>
    /// SRDHM(a, b) = round_half_up((a · b) / 2^31) = floor((a·b + 2^30) / 2^31) as int32, the one overflow (a = b = int.MinValue) saturating to int.MaxValue.
    /// Implemented as gemmlowp: ab = a·b (int64); nudge = ab ≥ 0 ? 2^30 : 1 − 2^30; (ab + nudge) / 2^31 truncated toward zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SaturatingRoundingDoublingHighMul(int a, int b)
    {
        if (a == int.MinValue && b == int.MinValue)
        {
            return int.MaxValue;
        }

        long ab = (long)a * b;
        long nudge = ab >= 0 ? 1L << 30 : 1 - (1L << 30);
        long sum = ab + nudge;
        // sum / 2^31 truncated toward zero, as a shift: add 2^31 − 1 to negative sums first.
        return (int)((sum + (sum < 0 ? (1L << 31) - 1 : 0)) >> 31);
    }

    /// <summary>
    /// RDBPOT(x, n) = x / 2^n rounded to nearest, ties away from zero (gemmlowp):
    /// mask = 2^n − 1; rem = x &amp; mask; threshold = (mask &gt;&gt; 1) + (x &lt; 0 ? 1 : 0); (x &gt;&gt; n) + (rem &gt; threshold ? 1 : 0). n in [0, 31].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RoundingDivideByPOT(int x, int n)
    {
        int mask = (int)((1L << n) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> n) + (remainder > threshold ? 1 : 0);
    }

    /// <summary>
    /// Integer requantize: s = sat32(acc + bias); s' = sat32(s · 2^max(e,0)); y = clamp(RDBPOT(SRDHM(s', M), max(−e,0)), lo, 127).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Requantize(int acc, int bias, int multiplier, int shift, int lo)
    {
        long sum = (long)acc + bias;
        int leftShift = shift > 0 ? shift : 0;
        int rightShift = shift > 0 ? 0 : -shift;
        long shifted = sum << leftShift;
        int s = shifted > int.MaxValue ? int.MaxValue : shifted < int.MinValue ? int.MinValue : (int)shifted;
        int y = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(s, multiplier), rightShift);
        return y < lo ? lo : y > 127 ? 127 : y;
    }
}
