using ILGPUInt8.Kernels.FixedPoint;
using Xunit;

namespace ILGPUInt8.Tests.FixedPoint;

/// <summary>
/// Each fixed-point function's maximum error against double over its whole input range stays within the bound written
/// in its doc comment and in docs/fixed-point.md (there measured at a finer stride: every 2^11-th input).
/// </summary>
public sealed class FixedPointAccuracyTests
{
    [Fact]
    public void ExpOnNegativeWithin12UlpsOfQ031() => Assert.InRange(FixedPointSweeps.ExpOnNegative(14), 0, 12);

    [Fact]
    public void Log2WithinSixTenthsUlpOfQ526() => Assert.InRange(FixedPointSweeps.Log2(17), 0, 0.6);

    [Fact]
    public void LogWithinOneUlpOfQ526() => Assert.InRange(FixedPointSweeps.Log(17), 0, 1.0);

    [Fact]
    public void PowWithin8UlpsOfQ1516()
    {
        var (relative, ulps) = FixedPointSweeps.Pow(14, 12);
        Assert.InRange(ulps, 0, 8);
        Assert.InRange(relative, 0, 1e-5);
    }

    [Fact]
    public void SinWithin1Point6UlpsOfQ130() => Assert.InRange(FixedPointSweeps.Sin(16), 0, 1.6);

    [Fact]
    public void AsinWithin2Point8UlpsOfQ130() => Assert.InRange(FixedPointSweeps.Asin(12), 0, 2.8);

    [Fact]
    public void SqrtIsCorrectlyRounded() => Assert.InRange(FixedPointSweeps.Sqrt(16), 0, 0.5);

    [Fact]
    public void ReciprocalWithin1Point3Ulps() => Assert.InRange(FixedPointSweeps.Reciprocal(16), 0, 1.3);

    [Fact]
    public void SaturatingOpsAndRoundingShiftsAtTheEdges()
    {
        Assert.Equal(int.MaxValue, FixedPointOps.SaturatingAdd(int.MaxValue, 1));
        Assert.Equal(int.MinValue, FixedPointOps.SaturatingSub(int.MinValue, 1));
        Assert.Equal(int.MaxValue, FixedPointOps.SaturatingNeg(int.MinValue));
        Assert.Equal(int.MaxValue, FixedPointOps.SaturatingShiftLeft(1 << 30, 1));
        Assert.Equal(int.MinValue, FixedPointOps.SaturatingShiftLeft(-(1 << 30) - 1, 1));
        Assert.Equal(2, FixedPointOps.RoundingShiftRight(3, 1));    // 1.5 → 2
        Assert.Equal(-2, FixedPointOps.RoundingShiftRight(-3, 1));  // −1.5 → −2 (ties away)
        Assert.Equal(-2L, FixedPointOps.RoundingShiftRight(-3L, 1));
        Assert.Equal(1L, FixedPointOps.RoundingShiftRight(5L, 3));   // 0.625 → 1
        Assert.Equal(0L, FixedPointOps.RoundingShiftRight(3L, 3));   // 0.375 → 0
        var q = new QFormat(16);
        Assert.Equal(0x18000, q.FromDouble(1.5));
        Assert.Equal(1.5, q.ToDouble(0x18000));
        Assert.Equal(int.MaxValue, q.FromDouble(1e9));
        // 1.5 (Q·16) × −2.25 (Q·8) → −3.375 in Q·4 = −54.
        Assert.Equal(-54, FixedPointOps.Multiply(0x18000, 16, -576, 8, 4));
        Assert.Equal(int.MaxValue, FixedPointOps.Multiply(int.MaxValue, 0, int.MaxValue, 0, 0));
        Assert.Equal(0x4000, FixedPointOps.Rescale(0x400000, 24, 16));
        for (var b = 0; b < 63; b++)
        {
            Assert.Equal(b, FixedPointOps.HighestBit(1L << b));
            Assert.Equal(b, FixedPointOps.HighestBit((1L << b) | ((1L << b) - 1)));
        }
    }

    [Fact]
    public void SpecialInputsHaveDefinedResults()
    {
        Assert.Equal(int.MaxValue, FixedPointExp.ExpOnNegative(0));
        Assert.Equal(int.MaxValue, FixedPointExp.ExpOnNegative(5));
        Assert.Equal(int.MinValue, FixedPointExp.Log2(0, 16));
        Assert.Equal(int.MinValue, FixedPointExp.Log(-3, 16));
        Assert.Equal(0, FixedPointExp.Pow(0, 16, 1 << 16, 16, 16));
        Assert.Equal(0, FixedPointTrig.Sqrt(-4, 16));
        Assert.Equal(int.MaxValue, FixedPointTrig.Reciprocal(0, 16, 16));
        Assert.InRange(FixedPointTrig.Sin((int)Math.Round(Math.PI / 2 * (1 << 28))), (1 << 30) - 2, 1 << 30);
        Assert.InRange(FixedPointTrig.Asin(1 << 30), FixedPointTrig.HalfPi30 - 1, FixedPointTrig.HalfPi30 + 1);
        Assert.Equal(FixedPointTrig.Asin(1 << 30), FixedPointTrig.Asin(int.MaxValue)); // clamped to 1
    }
}
