using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Methods;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class EntropyCalibratorTests
{
    [Fact]
    public void Mass_ending_sharply_at_a_bin_gives_that_edge()
    {
        // Uniform over bins [0, 500), nothing above: every candidate i ≥ 500 reproduces P exactly (KL = 0), below it the
        // piled-up last bin costs divergence, so the smallest loss-free candidate wins: T = 500.5 bins.
        var counts = new long[2048];
        for (var b = 0; b < 500; b++)
        {
            counts[b] = 1000;
        }

        Assert.Equal(500.5, EntropyCalibrator.ThresholdFromHistogram(counts, 1.0), 6);
    }

    [Fact]
    public void Rare_outliers_in_a_long_tail_are_clipped()
    {
        // A bulk that decays over bins [0, 200) and one count in every 8th bin up to 2047: keeping the tail would spend
        // the 128 levels on nearly empty range, so the threshold must fall well below the tail.
        var counts = new long[2048];
        for (var b = 0; b < 200; b++)
        {
            counts[b] = (long)(100000 * Math.Exp(-b / 50.0)) + 1;
        }

        for (var b = 200; b < 2048; b += 8)
        {
            counts[b] = 1;
        }

        var t = EntropyCalibrator.ThresholdFromHistogram(counts, 1.0);
        Assert.InRange(t, 128, 400);
    }

    [Fact]
    public void Uniform_histogram_is_not_clipped()
    {
        var counts = Enumerable.Repeat(50L, 2048).ToArray();
        var h = new TensorHistogram("u", 2048f, counts);
        var result = new EntropyCalibrator().Compute(h);
        Assert.Equal(2048.0, result.Threshold, 6); // (2047 + 0.5 + ... ) capped at amax
        Assert.Equal(0, result.ClippedShare);
    }

    [Fact]
    public void Prefix_sum_search_equals_direct_implementation_on_random_histograms()
    {
        var random = new Random(42);
        for (var t = 0; t < 4; t++)
        {
            var n = t == 0 ? 2048 : random.Next(128, 600);
            var counts = new long[n];
            for (var b = 0; b < n; b++)
            {
                counts[b] = random.Next(4) == 0 ? 0 : random.Next(0, 1000) * (b < n / 3 ? 50 : 1);
            }

            var fast = EntropyCalibrator.Divergences(counts);
            var direct = EntropyCalibrator.DivergencesDirect(counts);
            for (var i = 0; i < fast.Length; i++)
            {
                Assert.True(Math.Abs(fast[i] - direct[i]) <= 1e-9 * Math.Max(1, Math.Abs(direct[i])), $"n={n} candidate {i + 128}: {fast[i]} vs {direct[i]}");
            }

            Assert.Equal(EntropyCalibrator.ArgMin(direct), EntropyCalibrator.ArgMin(fast));
        }
    }

    [Fact]
    public void Zero_spike_does_not_drive_the_search()
    {
        // ReLU-like: half the values exactly zero. Bin 0 takes bin 1's count, so the result equals the spike-free one.
        var counts = new long[2048];
        for (var b = 1; b < 700; b++)
        {
            counts[b] = 100;
        }

        var withoutSpike = EntropyCalibrator.ThresholdFromHistogram(counts, 1.0);
        counts[0] = 70000;
        Assert.Equal(withoutSpike, EntropyCalibrator.ThresholdFromHistogram(counts, 1.0));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => EntropyCalibrator.ThresholdFromHistogram(new long[100], 1.0));
        Assert.Throws<ArgumentException>(() => EntropyCalibrator.ThresholdFromHistogram(new long[2048], 0));
        Assert.Throws<ArgumentException>(() => EntropyCalibrator.ThresholdFromHistogram(new long[2048], double.NaN));
    }
}
