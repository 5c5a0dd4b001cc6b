using ILGPUInt8.Kernels.Quantization;
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
        foreach (var bad in new[] { -1.0, double.NaN, double.PositiveInfinity, 4e9 })
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
