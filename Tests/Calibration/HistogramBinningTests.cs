using ILGPUInt8.Calibration.Histograms;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class HistogramBinningTests
{
    public static TheoryData<float> Ranges => [1f, 0.3f, 3.25f, 1e-30f, 1e-40f, 1.17549435e-38f, 7e30f, float.MaxValue, 2048f, 4f * 2047 / 2048, 0.1f * 3];

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Fast_bin_equals_the_division_at_and_around_every_edge(float amax)
    {
        float range = HistogramBinning.KernelRange(amax);
        float scale = HistogramBinning.FastScale(range);
        for (var k = 0; k <= TensorHistogram.Bins; k++)
        {
            // The edge k·amax/2048 computed two ways, and 4 floats either side of each.
            foreach (var edge in new[] { k * (range / 2048f), (float)(k * (double)range / 2048.0) })
            {
                float x = edge;
                for (var step = 0; step < 4; step++)
                {
                    x = MathF.BitDecrement(x);
                }

                for (var step = 0; step < 9; step++, x = MathF.BitIncrement(x))
                {
                    float a = MathF.Abs(x);
                    if (float.IsFinite(a) && a <= range)
                    {
                        Assert.True(HistogramBinning.Bin(a, range) == HistogramBinning.FastBin(a, range, scale), $"amax {amax:R}, |x| {a:R}: Bin {HistogramBinning.Bin(a, range)}, FastBin {HistogramBinning.FastBin(a, range, scale)}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Fast_bin_equals_the_division_on_random_values()
    {
        var random = new Random(77);
        for (var r = 0; r < 200; r++)
        {
            float range = (float)Math.Exp((random.NextDouble() * 160) - 80);
            float scale = HistogramBinning.FastScale(range);
            for (var i = 0; i < 5000; i++)
            {
                float a = (float)(random.NextDouble() * range);
                Assert.True(HistogramBinning.Bin(a, range) == HistogramBinning.FastBin(a, range, scale), $"amax {range:R}, |x| {a:R}");
            }

            Assert.Equal(2047, HistogramBinning.FastBin(range, range, scale));
            Assert.Equal(0, HistogramBinning.FastBin(0f, range, scale));
        }
    }

    [Fact]
    public void Zero_range_puts_zero_in_bin_zero()
    {
        float range = HistogramBinning.KernelRange(0f);
        Assert.Equal(1f, range);
        Assert.Equal(0, HistogramBinning.FastBin(0f, range, HistogramBinning.FastScale(range)));
    }
}
