using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.FixedPoint;

/// <summary>
/// Exponentials and logarithms with integers and shifts only (no float anywhere), usable inside ILGPU kernels.
/// Internally values are Q·30 in 64-bit integers; products of two such values below 4 fit 64 bits exactly.
/// The maximum errors below were measured against double by <c>FixedPointAccuracyTests</c> over the whole input range
/// (every 2^k-th input plus the edges) and are asserted there; docs/fixed-point.md tabulates them.
/// </summary>
public static class FixedPointExp
{
    /// <summary>1.0 in Q·30.</summary>
    public const long One30 = 1L << 30;

    /// <summary>log2(e) in Q1.30.</summary>
    public const long Log2E30 = 1549082005;

    /// <summary>ln(2) in Q1.30.</summary>
    public const long Ln2Q30 = 744261118;

    /// <summary>
    /// 2^f for f in [0, 1) given in Q·30, as Q1.30 in [1, 2): Horner on Σ_{k=0}^{10} (ln 2)^k / k! · f^k (Taylor; the
    /// remainder is below 2^−33), each product rounded to Q·30.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Exp2Fraction(long f)
    {
        // round((ln 2)^k / k! · 2^30), k = 10 … 0.
        long p = 109;
        p = 1419 + Mul30(p, f);
        p = 16377 + Mul30(p, f);
        p = 165394 + Mul30(p, f);
        p = 1431680 + Mul30(p, f);
        p = 10327387 + Mul30(p, f);
        p = 59597083 + Mul30(p, f);
        p = 257941248 + Mul30(p, f);
        p = 744261118 + Mul30(p, f);
        return One30 + Mul30(p, f);
    }

    /// <summary>
    /// exp(x) for x ≤ 0 in Q5.26 (x in [−32, 0]), as Q0.31 (x = 0 gives 2^31 − 1). t = x · log2 e in Q·30 (64-bit),
    /// n = ⌊t⌋, 2^t = Exp2Fraction(t − n) · 2^n shifted into Q0.31 with rounding. Positive x is treated as 0.
    /// Max error measured over [−32, 0] (every 2^9-th input): 11.6 × 2^−31 ≈ 5.4e−9 (absolute).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ExpOnNegative(int x)
    {
        if (x >= 0)
        {
            return int.MaxValue;
        }

        long t = FixedPointOps.RoundingShiftRight(x * Log2E30, 26);
        long n = t >> 30;
        long r = Exp2Fraction(t - (n << 30));
        // r · 2^n in Q0.31 = r (Q1.30) · 2^(n + 1); n ≤ −1 here.
        return FixedPointOps.Clamp32(FixedPointOps.RoundingShiftRight(r, (int)Math.Min(63, -n - 1)));
    }

    /// <summary>
    /// 2^t for t in Q·30 (64-bit, |t| &lt; 2^36), as Q·outFrac: Exp2Fraction(t − ⌊t⌋) · 2^⌊t⌋, rounded, saturated to int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Exp2(long t, int outFrac)
    {
        long n = t >> 30;
        long r = Exp2Fraction(t - (n << 30));
        long s = n + outFrac - 30;
        // clamp(s, −63, 40) by comparisons (Math.Clamp can throw, which a kernel cannot).
        return FixedPointOps.ShiftSaturating(r, (int)(s < -63 ? -63 : s > 40 ? 40 : s));
    }

    /// <summary>
    /// log2(x) for x &gt; 0 in Q·frac, as Q5.26 (x ≤ 0 gives int.MinValue). The integer part is the position of the
    /// highest bit; the fraction bits come one by one from squaring the mantissa m in [1, 2) (Q1.30): m ← m², a bit is 1
    /// when m ≥ 2 (then m ← m/2); 27 bits, rounded to 26. Max error measured over the positive int32 inputs (every
    /// 2^11-th) in Q31.0, Q16.15 and Q0.31: 0.54 × 2^−26 (absolute).
    /// </summary>
    public static int Log2(int x, int frac)
    {
        if (x <= 0)
        {
            return int.MinValue;
        }

        int msb = FixedPointOps.HighestBit(x);
        long m = (long)x << (30 - msb);
        long bits = 0;
        for (var i = 0; i < 27; i++)
        {
            m = (m * m + (1L << 29)) >> 30;
            bits <<= 1;
            if (m >= 2L << 30)
            {
                m >>= 1;
                bits |= 1;
            }
        }

        return FixedPointOps.Clamp32(((long)(msb - frac) << 26) + ((bits + 1) >> 1));
    }

    /// <summary>ln(x) for x &gt; 0 in Q·frac, as Q5.26: Log2(x) · ln 2. Max error measured as for Log2: 0.94 × 2^−26 (absolute).</summary>
    public static int Log(int x, int frac)
    {
        int l = Log2(x, frac);
        return l == int.MinValue ? l : (int)FixedPointOps.RoundingShiftRight(l * Ln2Q30, 30);
    }

    /// <summary>
    /// x^y for x &gt; 0 in Q·xFrac and y in Q·yFrac, as Q·outFrac: 2^(y · log2 x) with y · log2 x formed exactly in 64
    /// bits and rounded to Q·30 (saturated when the result does not fit). Max error measured for x in (0, 256) (every
    /// 2^7-th input), y in [−4, 4] (every 2^10-th), results in [2^−12, 2^12], all Q15.16: 7.1 ulps of 2^−16 (absolute;
    /// relative 7.6e−6 where the result is ≥ 1).
    /// </summary>
    public static int Pow(int x, int xFrac, int y, int yFrac, int outFrac)
    {
        if (x <= 0)
        {
            return 0;
        }

        long l = Log2(x, xFrac);
        long t = FixedPointOps.RoundingShiftRight(l * y, yFrac - 4);
        const long limit = 1L << 36;
        return Exp2(t < -limit ? -limit : t > limit ? limit : t, outFrac);
    }

    // round(a · b / 2^30) for Q·30 operands whose product fits 63 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Mul30(long a, long b) => FixedPointOps.RoundingShiftRight(a * b, 30);
}
