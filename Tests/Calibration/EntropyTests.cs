using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Methods;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class EntropyTests
{
    private const int Bins = TensorHistogram.Bins;

    [Theory]
    [InlineData(128)]
    [InlineData(300)]
    [InlineData(777)]
    [InlineData(1500)]
    public void Uniform_mass_ending_sharply_at_bin_k_gives_k_plus_half(int k)
    {
        // Uniform counts on [0, k): every candidate i ≥ k has P = Q exactly (D = 0), every i < k piles the
        // outliers onto P[i-1] (D > 0), so the tightest lossless candidate k wins: T = (k + 0.5)·w.
        var counts = new long[Bins];
        Array.Fill(counts, 1000, 0, k);
        Assert.Equal((k + 0.5) * 0.01, EntropyCalibrator.ThresholdFromHistogram(counts, 0.01), 12);
    }

    [Fact]
    public void Uniform_histogram_over_the_whole_range_gives_past_the_last_bin_before_the_cap()
    {
        var counts = new long[Bins];
        Array.Fill(counts, 500);
        double w = 1.0 / Bins;
        // The formula gives (2048 + 0.5)·w; Compute caps it at amax.
        Assert.Equal((Bins + 0.5) * w, EntropyCalibrator.ThresholdFromHistogram(counts, w), 12);
        Assert.Equal(1.0, new EntropyCalibrator().Compute(new TensorHistogram("u", 1f, counts)).Threshold);
    }

    [Fact]
    public void Rare_far_outliers_are_clipped()
    {
        // A half-normal bulk over ~bins 0..300 (σ = 100 bins) plus 20 outliers spread over bins 1000..2047.
        var counts = new long[Bins];
        var random = new Random(3);
        for (var n = 0; n < 1_000_000; n++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            counts[Math.Min(Bins - 1, (int)(Math.Abs(g) * 100))]++;
        }

        for (var o = 0; o < 20; o++)
        {
            counts[1000 + (o * 50)]++;
        }

        double t = EntropyCalibrator.ThresholdFromHistogram(counts, 1.0);
        Assert.InRange(t, 200, 700);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Prefix_sum_search_equals_the_direct_quadratic_search(int seed)
    {
        var counts = RandomHistogram(seed);
        var fast = EntropyCalibrator.Divergences(counts);
        var direct = EntropyCalibrator.DivergencesDirect(counts);
        Assert.Equal(Bins - EntropyCalibrator.Levels + 1, fast.Length);
        for (var k = 0; k < fast.Length; k++)
        {
            Assert.True(Math.Abs(fast[k] - direct[k]) <= 1e-11 + (1e-9 * Math.Abs(direct[k])), $"seed {seed}, candidate {k + EntropyCalibrator.Levels}: fast {fast[k]:R}, direct {direct[k]:R}");
        }

        Assert.Equal(EntropyCalibrator.ArgMin(direct), EntropyCalibrator.ArgMin(fast));
    }

    [Fact]
    public void Search_over_other_bin_counts_matches_the_direct_search()
    {
        var random = new Random(9);
        var counts = new long[300];
        for (var b = 0; b < counts.Length; b++)
        {
            counts[b] = b < 200 ? random.Next(0, 50) : (random.Next(10) == 0 ? 1 : 0);
        }

        Assert.Equal(EntropyCalibrator.ArgMin(EntropyCalibrator.DivergencesDirect(counts)), EntropyCalibrator.ArgMin(EntropyCalibrator.Divergences(counts)));
    }

    [Fact]
    public void Negative_counts_are_rejected()
    {
        var counts = new long[Bins];
        counts[5] = -1;
        var ex = Assert.Throws<ArgumentException>(() => EntropyCalibrator.ThresholdFromHistogram(counts, 1.0));
        Assert.Contains("counts[5]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_histogram_keeps_the_whole_range()
    {
        Assert.Equal(Bins * 0.25, EntropyCalibrator.ThresholdFromHistogram(new long[Bins], 0.25));
    }

    /// <summary>Random shapes: a decaying bulk with random empty bins, a sparse tail, sometimes a zero spike.</summary>
    internal static long[] RandomHistogram(int seed)
    {
        var random = new Random(seed);
        var counts = new long[Bins];
        int bulk = random.Next(100, 1800);
        double decay = random.NextDouble() * 5 / bulk;
        for (var b = 0; b < Bins; b++)
        {
            if (b < bulk)
            {
                counts[b] = random.Next(6) == 0 ? 0 : (long)(random.Next(1, 10_000) * Math.Exp(-decay * b)) + 1;
            }
            else
            {
                counts[b] = random.Next(40) == 0 ? random.Next(1, 5) : 0;
            }
        }

        if (seed % 2 == 0)
        {
            counts[0] = 5_000_000;
        }

        return counts;
    }
}
