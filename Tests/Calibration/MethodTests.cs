using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Reference;
using MathNet.Numerics.Statistics;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class MethodTests
{
    public static TheoryData<string> MethodNames => ["entropy", "minmax", "percentile", "mse"];

    [Theory]
    [InlineData(99.99)]
    [InlineData(99.0)]
    [InlineData(50.0)]
    [InlineData(100.0)]
    public void Percentile_is_the_upper_edge_of_the_bin_holding_the_sample_percentile(double p)
    {
        var data = HalfNormal(200_000, seed: 11);
        var h = HistogramReference.Build("t", [data]);
        double t = new PercentileCalibrator(p).Compute(h).Threshold;

        // Nearest-rank percentile of |x| computed directly, and MathNet's quantile: both lie in the bin below T.
        var sorted = data.Select(v => (double)Math.Abs(v)).Order().ToArray();
        double nearestRank = sorted[Math.Max(0, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
        double mathNet = sorted.Quantile(p / 100);
        Assert.InRange(nearestRank, t - h.BinWidth - 1e-9, t + 1e-9);
        Assert.InRange(mathNet, t - (2 * h.BinWidth), t + h.BinWidth);
        if (p == 100.0)
        {
            Assert.Equal(h.Amax, t, 6);
        }
    }

    [Fact]
    public void Percentile_clips_at_most_the_complement()
    {
        var data = HalfNormal(100_000, seed: 12);
        var h = HistogramReference.Build("t", [data]);
        double t = new PercentileCalibrator(99.0).Compute(h).Threshold;
        double clipped = data.Count(v => Math.Abs(v) > t) / (double)data.Length;
        Assert.True(clipped <= 0.01, $"clipped {clipped}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mse_search_equals_a_direct_floating_point_search(int seed)
    {
        var counts = EntropyTests.RandomHistogram(seed);
        double w = 0.01;
        double fast = MseCalibrator.ThresholdFromHistogram(counts, w);

        // Direct: for every centre T = (i + ½)·w, fake-quantize every bin centre in double and sum the weighted squared errors.
        double best = double.PositiveInfinity;
        int bestIndex = 0;
        for (var i = MseCalibrator.FirstCandidate; i < counts.Length; i++)
        {
            double t = (i + 0.5) * w, s = t / 127, error = 0;
            for (var b = 0; b < counts.Length; b++)
            {
                double x = (b + 0.5) * w;
                double q = Math.Min(Math.Round(x / s, MidpointRounding.ToEven), 127);
                error += counts[b] * (x - (q * s)) * (x - (q * s));
            }

            if (error < best * (1 - 1e-12))
            {
                best = error;
                bestIndex = i;
            }
        }

        Assert.Equal((bestIndex + 0.5) * w, fast, 9);
    }

    [Fact]
    public void Mse_threshold_is_near_the_best_threshold_on_the_raw_data()
    {
        var data = HalfNormal(50_000, seed: 13);
        var h = HistogramReference.Build("t", [data]);
        double t = new MseCalibrator().Compute(h).Threshold;
        double RawError(double threshold)
        {
            double s = threshold / 127, e = 0;
            foreach (var v in data)
            {
                double x = Math.Abs(v), q = Math.Min(Math.Round(x / s, MidpointRounding.ToEven), 127);
                e += (x - (q * s)) * (x - (q * s));
            }

            return e;
        }

        double bestRaw = Enumerable.Range(1, 400).Select(k => RawError(h.Amax * k / 400.0)).Min();
        Assert.True(RawError(t) <= bestRaw * 1.05, $"raw MSE at T={t}: {RawError(t)}, best on a grid {bestRaw}");
        Assert.True(t < h.Amax, "a half-normal tail should be clipped by MSE");
    }

    [Fact]
    public void Mse_residual_is_the_exact_rational_rounding()
    {
        for (var i = 0; i < 2048; i += 7)
        {
            for (var b = 0; b <= i; b += 3)
            {
                // q = round(127(2b+1) / (2i+1)) by integer arithmetic: floor((2·num + den) / (2·den)) (no ties: odd/odd).
                long num = 127L * ((2 * b) + 1), den = (2L * i) + 1;
                long q = Math.Min(((2 * num) + den) / (2 * den), 127);
                Assert.Equal(num - (den * q), MseCalibrator.Residual(b, i));
            }
        }

        Assert.Equal(0, MseCalibrator.Residual(2047, 2047));
    }

    [Fact]
    public void MinMax_is_amax()
    {
        var h = HistogramReference.Build("t", [[0.5f, -3.25f, 1f, float.NaN]]);
        var r = new MinMaxCalibrator().Compute(h);
        Assert.Equal(3.25, r.Threshold);
        Assert.Equal((float)(3.25 / 127), r.Scale);
        Assert.Equal(CalibrationFlags.NonFinite, r.Flags);
        Assert.Equal(0, r.ClippedShare);
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void Degenerate_tensors_get_defined_flagged_results(string method)
    {
        var m = Method(method);
        var empty = HistogramReference.Build("empty", [[]]);
        var nanOnly = HistogramReference.Build("nan", [[float.NaN, float.PositiveInfinity]]);
        var zeros = HistogramReference.Build("zeros", [new float[100]]);
        var single = HistogramReference.Build("single", [Enumerable.Repeat(-0.75f, 50).ToArray()]);
        var one = HistogramReference.Build("one", [[2.5f]]);

        Check(m.Compute(empty), CalibrationFlags.Empty, 127);
        Check(m.Compute(nanOnly), CalibrationFlags.Empty | CalibrationFlags.NonFinite, 127);
        Check(m.Compute(zeros), CalibrationFlags.AllZero, 127);
        Check(m.Compute(single), CalibrationFlags.SingleValue, null);
        Check(m.Compute(one), CalibrationFlags.SingleValue, null);
        Assert.InRange(m.Compute(single).Threshold, 0.74, 0.76);
        Assert.InRange(m.Compute(one).Threshold, 2.49, 2.51);
    }

    [Fact]
    public void Weight_scales_are_per_output_channel_max_over_127()
    {
        float[] w = [0.5f, -1f, 0.25f, 0f, 0f, 0f, 3f, 2f, -2f];
        var scales = WeightScales.PerOutputChannel(w, 3);
        Assert.Equal([1f, 127f, 3f], scales.Thresholds);
        Assert.Equal([(float)(1 / 127.0), 1f, (float)(3 / 127.0)], scales.Scales);
        Assert.Equal([1], scales.ZeroChannels);
        Assert.Equal(CalibrationFlags.ZeroChannel, scales.Flags);
    }

    [Fact]
    public void Weight_scales_reject_bad_input_naming_it()
    {
        Assert.Throws<ArgumentException>(() => WeightScales.PerOutputChannel(new float[7], 3));
        var ex = Assert.Throws<ArgumentException>(() => WeightScales.PerOutputChannel([1f, float.NaN, 2f, 3f], 2));
        Assert.Contains("weights[1]", ex.Message, StringComparison.Ordinal);
    }

    private static void Check(CalibrationResult r, CalibrationFlags flags, double? threshold)
    {
        Assert.Equal(flags, r.Flags);
        Assert.True(double.IsFinite(r.Threshold) && r.Threshold > 0, $"threshold {r.Threshold}");
        Assert.True(float.IsFinite(r.Scale) && r.Scale > 0, $"scale {r.Scale}");
        if (threshold is { } t)
        {
            Assert.Equal(t, r.Threshold);
            Assert.Equal(1f, r.Scale);
        }
    }

    internal static ICalibrationMethod Method(string name) => name switch
    {
        "entropy" => new EntropyCalibrator(),
        "minmax" => new MinMaxCalibrator(),
        "percentile" => new PercentileCalibrator(),
        _ => new MseCalibrator(),
    };

    internal static float[] HalfNormal(int n, int seed)
    {
        var random = new Random(seed);
        var data = new float[n];
        for (var i = 0; i < n; i++)
        {
            data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return data;
    }
}
