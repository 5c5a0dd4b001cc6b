using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.FixedPoint;

/// <summary>
/// sin, asin, sqrt and reciprocal with integers and shifts only, usable inside ILGPU kernels. Errors measured against
/// double over the whole input range by <c>FixedPointAccuracyTests</c> (asserted there; docs/fixed-point.md).
/// </summary>
public static class FixedPointTrig
{
    /// <summary>π in Q·40.</summary>
    public const long Pi40 = 3454217652358;

    /// <summary>π/2 in Q1.30.</summary>
    public const long HalfPi30 = 1686629713;

    /// <summary>
    /// sin(x) for x in radians as Q3.28 (all of [−8, 8)), as Q1.30. The angle, widened to Q·40, is brought into
    /// [−π, π] by ±2π and folded into [−π/2, π/2] (sin(π − x) = sin x); within π/4 the sine's Taylor series, beyond it the cosine's
    /// of π/2 − |x| (Horner in x², remainders below 2^−33). Max error measured over every 2^11-th input: 1.5 × 2^−30 (absolute).
    /// </summary>
    public static int Sin(int x)
    {
        long a = (long)x << 12;
        if (a > Pi40)
        {
            a -= 2 * Pi40;
        }
        else if (a < -Pi40)
        {
            a += 2 * Pi40;
        }

        if (a > Pi40 / 2)
        {
            a = Pi40 - a;
        }
        else if (a < -Pi40 / 2)
        {
            a = -Pi40 - a;
        }

        // |a| ≤ π/4: the sine series; else cos(π/2 − |a|) with a's sign. Either argument is within π/4, where the
        // series to the 11th (sine) or 12th (cosine) power leave a remainder below 2^−33.
        long v = FixedPointOps.RoundingShiftRight(a, 10);
        if (Math.Abs(a) <= Pi40 / 4)
        {
            return (int)SinSeries(v);
        }

        long c = CosSeries(HalfPi30 - Math.Abs(v));
        return (int)(a < 0 ? -c : c);
    }

    // Σ (−1)^k v^(2k+1) / (2k+1)! for |v| ≤ π/4 in Q·30, k ≤ 5 (Horner in v²).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long SinSeries(long v)
    {
        long v2 = FixedPointExp.Mul30(v, v);
        long p = -27;
        p = 2959 + FixedPointExp.Mul30(p, v2);
        p = -213044 + FixedPointExp.Mul30(p, v2);
        p = 8947849 + FixedPointExp.Mul30(p, v2);
        p = -178956971 + FixedPointExp.Mul30(p, v2);
        p = FixedPointExp.One30 + FixedPointExp.Mul30(p, v2);
        return FixedPointExp.Mul30(p, v);
    }

    // Σ (−1)^k v^(2k) / (2k)! for |v| ≤ π/4 in Q·30, k ≤ 6 (Horner in v²).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long CosSeries(long v)
    {
        long v2 = FixedPointExp.Mul30(v, v);
        long p = 2;
        p = -296 + FixedPointExp.Mul30(p, v2);
        p = 26631 + FixedPointExp.Mul30(p, v2);
        p = -1491308 + FixedPointExp.Mul30(p, v2);
        p = 44739243 + FixedPointExp.Mul30(p, v2);
        p = -(FixedPointExp.One30 / 2) + FixedPointExp.Mul30(p, v2);
        return FixedPointExp.One30 + FixedPointExp.Mul30(p, v2);
    }

    /// <summary>
    /// asin(x) for x in Q1.30 within [−1, 1] (clamped), as Q1.30 radians. |x| ≤ 1/2: the series Σ c_n x^(2n+1),
    /// c_n = (2n)! / (4^n (n!)² (2n + 1)), to n = 14; |x| &gt; 1/2: π/2 − 2·asin(√((1 − |x|)/2)), the square root exact
    /// (<see cref="Sqrt"/>). Max error measured over every 2^9-th input: 2.7 × 2^−30 (absolute).
    /// </summary>
    public static int Asin(int x)
    {
        long a = Math.Abs((long)x);
        a = Math.Min(a, FixedPointExp.One30);
        long r;
        if (a <= FixedPointExp.One30 / 2)
        {
            r = AsinSeries(a);
        }
        else
        {
            // √((1 − a)/2) in Q·30 = isqrt((2^30 − a) · 2^29), rounded.
            long z = SqrtRounded((FixedPointExp.One30 - a) << 29);
            r = HalfPi30 - (2 * AsinSeries(z));
        }

        return (int)(x < 0 ? -r : r);
    }

    /// <summary>
    /// √x for x ≥ 0 in Q·frac, in the same format: the integer square root of x · 2^frac rounded to nearest (exact,
    /// max error 0.5 ulp); negative x gives 0.
    /// </summary>
    public static int Sqrt(int x, int frac) => x <= 0 ? 0 : (int)SqrtRounded((long)x << frac);

    /// <summary>
    /// 1/x for x &gt; 0 in Q·frac, as Q·outFrac (saturated): x = m · 2^e with m in [1/2, 1), r = 1/m by Newton–Raphson
    /// from 48/17 − 32/17·m, four steps r ← r + r(1 − m·r) in Q·30; then shifted by the exponent. Max error measured over
    /// every 2^11-th positive input (Q15.16 → Q15.16, Q0.31 → Q8.23, Q23.8 → Q11.20, results that fit): 1.22 ulps of Q·outFrac.
    /// </summary>
    public static int Reciprocal(int x, int frac, int outFrac)
    {
        if (x <= 0)
        {
            return x == 0 ? int.MaxValue : 0;
        }

        int msb = FixedPointOps.HighestBit(x);
        // d = x / 2^(msb + 1) in [1/2, 1), as Q·31 (the raw bits of x moved to bit 30).
        long d = (long)x << (30 - msb);
        long r = 3031741621 - FixedPointOps.RoundingShiftRight(2021161080 * d, 31); // 48/17 and 32/17 in Q·30
        for (var i = 0; i < 4; i++)
        {
            long e = FixedPointExp.One30 - FixedPointOps.RoundingShiftRight(d * r, 31);
            r += FixedPointExp.Mul30(r, e);
        }

        // 1/X = r · 2^(frac − msb − 1) in value; raw Q·outFrac needs r (Q·30) · 2^(frac − msb − 1 + outFrac − 30).
        return FixedPointOps.ShiftSaturating(r, frac - msb - 1 + outFrac - 30);
    }

    // Σ_{n=0}^{14} c_n z^(2n+1) for z in [0, 1/2] in Q·30 (Horner in z²).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long AsinSeries(long z)
    {
        long z2 = FixedPointExp.Mul30(z, z);
        long p = 5533324;
        p = 6163319 + FixedPointExp.Mul30(p, z2);
        p = 6922639 + FixedPointExp.Mul30(p, z2);
        p = 7851765 + FixedPointExp.Mul30(p, z2);
        p = 9009054 + FixedPointExp.Mul30(p, z2);
        p = 10481448 + FixedPointExp.Mul30(p, z2);
        p = 12403652 + FixedPointExp.Mul30(p, z2);
        p = 14994637 + FixedPointExp.Mul30(p, z2);
        p = 18632389 + FixedPointExp.Mul30(p, z2);
        p = 24021923 + FixedPointExp.Mul30(p, z2);
        p = 32622364 + FixedPointExp.Mul30(p, z2);
        p = 47934903 + FixedPointExp.Mul30(p, z2);
        p = 80530637 + FixedPointExp.Mul30(p, z2);
        p = 178956971 + FixedPointExp.Mul30(p, z2);
        p = FixedPointExp.One30 + FixedPointExp.Mul30(p, z2);
        return FixedPointExp.Mul30(p, z);
    }

    // round(√v) for 0 ≤ v < 2^62: digit-by-digit integer square root (floor), then up by one when v > s² + s.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long SqrtRounded(long v)
    {
        long s = 0, bit = 1L << 62, rest = v;
        while (bit > rest)
        {
            bit >>= 2;
        }

        while (bit != 0)
        {
            if (rest >= s + bit)
            {
                rest -= s + bit;
                s = (s >> 1) + bit;
            }
            else
            {
                s >>= 1;
            }

            bit >>= 2;
        }

        return rest > s ? s + 1 : s;
    }
}
