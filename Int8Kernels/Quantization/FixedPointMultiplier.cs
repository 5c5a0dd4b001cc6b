using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Arch;

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
        // 2^n − 1 in 32 bits (n = 31: 2^31 wraps to int.MinValue, minus 1 wraps to int.MaxValue = 2^31 − 1).
        int mask = unchecked((1 << n) - 1);
        int remainder = x & mask;
        // x >> 31 is −1 for negative x: threshold = (mask >> 1) + 1 then.
        int threshold = (mask >> 1) - (x >> 31);
        return (x >> n) + (remainder > threshold ? 1 : 0);
    }

    /// <summary>
    /// Integer requantize: s = sat32(acc + bias); s' = sat32(s · 2^max(e,0)); y = clamp(RDBPOT(SRDHM(s', M), max(−e,0)), lo, 127).
    /// M in [0, 2^31) as <see cref="FromDouble"/> gives it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Requantize(int acc, int bias, int multiplier, int shift, int lo) =>
        Requantize(acc, bias, multiplier, shift > 0 ? shift : 0, shift > 0 ? 0 : -shift, lo);

    /// <summary>
    /// The same with the exponent split into l = max(e, 0) and r = max(−e, 0), all in 32-bit arithmetic but one
    /// 32 × 32 → 64-bit product (the kernels' form; M in [0, 2^31), l and r in [0, 31]):
    /// s = sat32(acc + bias) (add.sat.s32); s' = sat32(s · 2^l); h = SRDHM(s', M) = ⌊(s'·M + 2^30) / 2^31⌋
    /// (M ≥ 0, so the one saturating case of SRDHM, int.MinValue², cannot occur); y = clamp(RDBPOT(h, r), lo, 127).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Requantize(int acc, int bias, int multiplier, int leftShift, int rightShift, int lo)
    {
        int s = Saturate.AddInt32(acc, bias);

        // sat32(s · 2^l): the shift overflowed iff shifting back does not give s again.
        int shifted = s << leftShift;
        s = (shifted >> leftShift) == s ? shifted : s < 0 ? int.MinValue : int.MaxValue;

        // ⌊(s·M + 2^30) / 2^31⌋: an arithmetic shift of the exact 64-bit sum is the floor.
        int h = (int)((MulWide.S32(s, multiplier) + (1L << 30)) >> 31);
        int y = RoundingDivideByPOT(h, rightShift);
        return y < lo ? lo : y > 127 ? 127 : y;
    }
}
