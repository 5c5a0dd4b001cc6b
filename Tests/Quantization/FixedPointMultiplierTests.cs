using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using Xunit;

namespace ILGPUInt8.Tests.Quantization;

public sealed class FixedPointMultiplierTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    [InlineData(1e-6)]
    [InlineData(3.75)]
    [InlineData(1234.5678)]
    [InlineData(2.5e-10)]
    [InlineData(0.99999999999)]
    [InlineData(2.3283064365386963e-10)]
    [InlineData(2147483647.0)]
    [InlineData(2147483647.49)]
    public void From_double_represents_the_multiplier(double m)
    {
        var (q, e) = FixedPointMultiplier.FromDouble(m);
        Assert.InRange(q, 1 << 30, int.MaxValue);
        var back = q * Math.Pow(2, e - 31);
        Assert.True(Math.Abs(back - m) <= m * Math.Pow(2, -30), $"{m} → ({q}, {e}) = {back}");
    }

    [Fact]
    public void Zero_and_invalid_multipliers()
    {
        Assert.Equal((0, 0), FixedPointMultiplier.FromDouble(0));
        Assert.Equal((0, 0), FixedPointMultiplier.FromDouble(1e-12));
        var (one, eOne) = FixedPointMultiplier.FromDouble(1 - Math.Pow(2, -40));
        Assert.Equal((1 << 30, 1), (one, eOne)); // rounds up to M = 2^31, renormalised
        foreach (var bad in new[] { -1.0, -0.0 - double.Epsilon, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 4e9, FixedPointMultiplier.Limit })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => FixedPointMultiplier.FromDouble(bad));
        }
    }

    [Fact]
    public void Srdhm_against_exact_arithmetic_at_edges()
    {
        int[] values = [int.MinValue, int.MinValue + 1, -65536, -3, -1, 0, 1, 2, 3, 65535, int.MaxValue - 1, int.MaxValue, 1 << 30, -(1 << 30)];
        foreach (var a in values)
        {
            foreach (var b in values)
            {
                var expected = a == int.MinValue && b == int.MinValue
                    ? int.MaxValue
                    : (long)(((Int128)a * b + ((Int128)1 << 30)) >> 31);
                Assert.Equal(expected, FixedPointMultiplier.SaturatingRoundingDoublingHighMul(a, b));
            }
        }
    }

    [Fact]
    public void Rounding_divide_by_pot_rounds_half_away_from_zero()
    {
        var random = new Random(3);
        for (var t = 0; t < 20000; t++)
        {
            var x = t < 8 ? new[] { int.MinValue, int.MinValue + 1, int.MaxValue, -1, 0, 1, 5, -5 }[t] : random.Next(int.MinValue, int.MaxValue);
            var n = t % 32;
            var exact = x / Math.Pow(2, n);
            var expected = (long)Math.Sign(exact) * (long)Math.Floor(Math.Abs(exact) + 0.5);
            Assert.Equal(expected, FixedPointMultiplier.RoundingDivideByPOT(x, n));
        }
    }

    [Fact]
    public void Requantize_at_edges_matches_exact_and_double_references()
    {
        // As gemmlowp tests its output stages: int32 extremes, multipliers near 0 and near 1, every shift e in [-31, 31].
        int[] accs = [int.MinValue, int.MinValue + 1, int.MinValue + 2, -(1 << 30), -65537, -128, -1, 0, 1, 127, 65535, 1 << 30, int.MaxValue - 1, int.MaxValue];
        int[] biases = [0, -1, 1, int.MinValue, int.MaxValue];
        var multipliers = new List<double>
        {
            0, 1e-12, Math.Pow(2, -32), Math.Pow(2, -31), 1e-9, 1e-3, 0.5, 1 - Math.Pow(2, -31), 1 - 1e-9, 1.0, 1 + 1e-9, 1.5, Math.Pow(2, 30), 2147483647.0,
        };
        for (var e = -31; e <= 31; e++)
        {
            multipliers.Add(0.75 * Math.Pow(2, e));
            multipliers.Add((1 - Math.Pow(2, -30)) * Math.Pow(2, e));
        }

        foreach (var m in multipliers)
        {
            var (q, e) = FixedPointMultiplier.FromDouble(m);
            int left = Math.Max(e, 0), right = Math.Max(-e, 0);
            foreach (var acc in accs)
            {
                foreach (var bias in biases)
                {
                    foreach (var relu in new[] { false, true })
                    {
                        int lo = relu ? 0 : -127;
                        var y = FixedPointMultiplier.Requantize(acc, bias, q, e, lo);
                        var what = $"acc={acc} bias={bias} m={m:R} (M={q}, e={e}) relu={relu}";

                        // Exact (128-bit) reference: bit for bit.
                        Assert.True(y == QuantizationReference.RequantizeFixedPoint([acc], [bias], [m], 1, relu)[0], $"exact reference: {what}");

                        // Double reference: s = sat32((acc + bias)·2^left) exactly, real = s·M·2^(−31−right); two roundings
                        // (to 2^−right units by SRDHM, then to an integer by RDBPOT) give |y − real| ≤ 1/2 + 1/2^(right+1) after clamping.
                        double s = Math.Clamp(((double)acc + bias) * Math.Pow(2, left), int.MinValue, int.MaxValue);
                        double real = Math.Clamp(s * q * Math.Pow(2, -31 - right), lo, 127);
                        double bound = 0.5 + (right > 0 ? Math.Pow(2, -(right + 1)) : 0) + 1e-9;
                        Assert.True(Math.Abs(y - real) <= bound, $"double reference {real:R}, got {y}: {what}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Requantize_is_close_to_the_real_multiplication()
    {
        var random = new Random(11);
        for (var t = 0; t < 5000; t++)
        {
            var acc = random.Next(-100000, 100000);
            var m = Math.Pow(2, -random.Next(1, 20)) * (0.5 + random.NextDouble());
            var (q, e) = FixedPointMultiplier.FromDouble(m);
            var y = FixedPointMultiplier.Requantize(acc, 0, q, e, -127);
            var real = Math.Clamp(acc * m, -127, 127);
            // Two roundings (SRDHM to 2^-r units, then RDBPOT): error ≤ 1/2 + 1/2^(r+1) (+ the Q31 representation error).
            var bound = 0.5 + Math.Pow(2, -(Math.Max(-e, 0) + 1)) + 1e-6;
            Assert.True(Math.Abs(y - real) <= bound, $"acc={acc} m={m}: {y} vs {real}");
        }
    }
}
