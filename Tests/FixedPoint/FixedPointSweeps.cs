using ILGPUInt8.Kernels.FixedPoint;

namespace ILGPUInt8.Tests.FixedPoint;

/// <summary>
/// Maximum errors of the fixed-point functions against double over their whole input range: every input at a stride
/// (2^stride apart) plus the edges of the range. Errors are absolute, in units of the output's last place unless named.
/// </summary>
internal static class FixedPointSweeps
{
    // Inputs lo, lo + 2^s, …, hi, plus lo + 1, hi − 1 and 0 when inside.
    public static IEnumerable<long> Inputs(long lo, long hi, int strideBits)
    {
        for (long x = lo; x <= hi; x += 1L << strideBits)
        {
            yield return x;
        }

        foreach (var edge in new[] { lo, lo + 1, hi - 1, hi, 0, 1, -1 })
        {
            if (edge >= lo && edge <= hi)
            {
                yield return edge;
            }
        }
    }

    /// <summary>exp(x), x in Q5.26 over [−32, 0], output Q0.31: max |error| in ulps of 2^−31.</summary>
    public static double ExpOnNegative(int strideBits) =>
        Inputs(int.MinValue, 0, strideBits).Max(x => Math.Abs(FixedPointExp.ExpOnNegative((int)x) - (Math.Exp(x * Math.ScaleB(1, -26)) * 2147483648.0)));

    /// <summary>log2(x), x over every positive int32 in each Q·frac (frac 0, 15, 31), output Q5.26: max |error| in ulps of 2^−26.</summary>
    public static double Log2(int strideBits) =>
        new[] { 0, 15, 31 }.Max(frac => Inputs(1, int.MaxValue, strideBits).Max(x =>
            Math.Abs(FixedPointExp.Log2((int)x, frac) - (Math.Log2(x * Math.ScaleB(1, -frac)) * (1 << 26)))));

    /// <summary>ln(x), as <see cref="Log2"/>.</summary>
    public static double Log(int strideBits) =>
        new[] { 0, 15, 31 }.Max(frac => Inputs(1, int.MaxValue, strideBits).Max(x =>
            Math.Abs(FixedPointExp.Log((int)x, frac) - (Math.Log(x * Math.ScaleB(1, -frac)) * (1 << 26)))));

    /// <summary>
    /// x^y, x in Q15.16 over (0, 256), y in Q15.16 over [−4, 4], output Q15.16; pairs with results in [2^−12, 2^12]:
    /// the max absolute error in ulps of 2^−16, and the max relative error where the result is ≥ 1 (below 1 the output's
    /// own resolution dominates).
    /// </summary>
    public static (double Relative, double Ulps) Pow(int xStrideBits, int yStrideBits)
    {
        double rel = 0, ulps = 0;
        foreach (var x in Inputs(1, 256L << 16, xStrideBits))
        {
            foreach (var y in Inputs(-4L << 16, 4L << 16, yStrideBits))
            {
                double exact = Math.Pow(x / 65536.0, y / 65536.0);
                if (exact < Math.ScaleB(1, -12) || exact > 4096)
                {
                    continue;
                }

                double got = FixedPointExp.Pow((int)x, 16, (int)y, 16, 16) / 65536.0;
                rel = exact >= 1 ? Math.Max(rel, Math.Abs(got - exact) / exact) : rel;
                ulps = Math.Max(ulps, Math.Abs(got - exact) * 65536.0);
            }
        }

        return (rel, ulps);
    }

    /// <summary>sin(x), x in Q3.28 over [−8, 8), output Q1.30: max |error| in ulps of 2^−30.</summary>
    public static double Sin(int strideBits) =>
        Inputs(int.MinValue, int.MaxValue, strideBits).Max(x => Math.Abs(FixedPointTrig.Sin((int)x) - (Math.Sin(x * Math.ScaleB(1, -28)) * (1 << 30))));

    /// <summary>asin(x), x in Q1.30 over [−1, 1], output Q1.30: max |error| in ulps of 2^−30.</summary>
    public static double Asin(int strideBits) =>
        Inputs(-(1L << 30), 1L << 30, strideBits).Max(x => Math.Abs(FixedPointTrig.Asin((int)x) - (Math.Asin(x * Math.ScaleB(1, -30)) * (1 << 30))));

    /// <summary>√x, x over every non-negative int32 in Q·frac (frac 0, 16, 30): max |error| in ulps of the format.</summary>
    public static double Sqrt(int strideBits) =>
        new[] { 0, 16, 30 }.Max(frac => Inputs(0, int.MaxValue, strideBits).Max(x =>
            Math.Abs(FixedPointTrig.Sqrt((int)x, frac) - (Math.Sqrt(x * Math.ScaleB(1, -frac)) * Math.ScaleB(1, frac)))));

    /// <summary>
    /// 1/x, x over every positive int32 in Q15.16, output Q15.16 (results that fit): max |error| in ulps; and x in Q0.31
    /// (x ≥ 1/2^… , results in [1, 2^31) raw) output Q8.23.
    /// </summary>
    public static double Reciprocal(int strideBits) =>
        new[] { (16, 16), (31, 23), (8, 20) }.Max(f => Inputs(1, int.MaxValue, strideBits).Max(x =>
        {
            double exact = 1.0 / (x * Math.ScaleB(1, -f.Item1)) * Math.ScaleB(1, f.Item2);
            return exact >= int.MaxValue ? 0 : Math.Abs(FixedPointTrig.Reciprocal((int)x, f.Item1, f.Item2) - exact);
        }));
}
