using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Reference;
using ILGPUInt8.Calibration.Tables;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class CalibrationMethodsTests
{
    private static readonly ICalibrationMethod[] Methods = [new EntropyCalibrator(), new MinMaxCalibrator(), new PercentileCalibrator(), new MseCalibrator()];

    [Fact]
    public void Percentile_matches_a_direct_sort()
    {
        var random = new Random(9);
        var values = Enumerable.Range(0, 50000).Select(_ => (float)Math.Abs(random.NextDouble() * random.NextDouble() * 10)).ToArray();
        var h = HistogramReference.Build("x", [values]);
        var result = new PercentileCalibrator(99.0).Compute(h);
        var sorted = values.Order().ToArray();
        var exact = sorted[(int)Math.Ceiling(0.99 * sorted.Length) - 1];
        Assert.InRange(result.Threshold, exact, exact + h.BinWidth + 1e-6);
    }

    [Fact]
    public void Mse_picks_the_minimum_of_a_direct_scan()
    {
        var random = new Random(10);
        // 500k values uniform in [0, 1) and one at 20: keeping 20 in range costs the bulk (T²/127²/12 each, ≈ 1000 in all)
        // more than clipping the one value ((20 − T)² ≈ 350), so the minimum clips it.
        var values = Enumerable.Range(0, 500_000).Select(_ => (float)random.NextDouble()).Append(20f).ToArray();
        var h = HistogramReference.Build("x", [values]);
        var result = new MseCalibrator().Compute(h);
        var best = Enumerable.Range(127, 2048 - 127).Select(i => Math.Min((i + 0.5) * h.BinWidth, h.Amax)).MinBy(t => MseCalibrator.Error(h, t));
        Assert.Equal(best, result.Threshold, 9);
        Assert.True(result.Threshold < h.Amax / 2, "the rare large values should be clipped");
    }

    [Fact]
    public void Degenerate_tensors_get_scale_one_and_a_note_never_nan()
    {
        var empty = new TensorHistogram("empty", 0, new long[2048]);
        var zeros = HistogramReference.Build("zeros", [new float[100]]);
        var single = HistogramReference.Build("single", [Enumerable.Repeat(3.5f, 10).ToArray()]);
        foreach (var m in Methods)
        {
            foreach (var h in new[] { empty, zeros })
            {
                var r = m.Compute(h);
                Assert.Equal(1f, r.Scale);
                Assert.NotNull(r.Note);
            }

            var s = m.Compute(single);
            Assert.False(double.IsNaN(s.Threshold));
            Assert.True(s.Threshold > 0 && s.Threshold <= 3.5 + 1e-6, $"{m.Name}: {s.Threshold}");
        }
    }

    [Fact]
    public void Nan_and_inf_are_counted_apart()
    {
        var h = HistogramReference.Build("x", [[1f, float.NaN, -2f, float.PositiveInfinity, float.NegativeInfinity, 0.5f]]);
        Assert.Equal(1, h.NaNCount);
        Assert.Equal(2, h.InfCount);
        Assert.Equal(3, h.Total);
        Assert.Equal(2f, h.Amax);
        Assert.Equal(3, h.ToMathNet().DataCount);
    }

    [Theory]
    [InlineData("3c008912", 0.0078451801f)]
    [InlineData("3f800000", 1f)]
    [InlineData("00000000", 0f)]
    public void Hex_encoding_of_known_scales(string hex, float scale)
    {
        Assert.Equal(hex, CalibrationCache.ToHex(scale));
        Assert.Equal(scale, CalibrationCache.FromHex(hex), 9);
    }

    [Fact]
    public void Cache_round_trips_and_rejects_mismatches()
    {
        var cache = new CalibrationCache(CalibrationCache.HeaderFor("entropy"), [new("input", 0.0078451801f), new("conv1:out", 0.125f)]);
        var text = cache.ToText();
        Assert.StartsWith("TRT-8601-EntropyCalibration2\ninput: 3c008912\n", text, StringComparison.Ordinal);
        var back = CalibrationCache.Parse(text);
        Assert.Equal(cache.Header, back.Header);
        Assert.Equal(cache.Scales, back.Scales);
        back.CheckAgainst(["input", "conv1:out"]);
        var ex = Assert.Throws<CalibrationTableMismatchException>(() => back.CheckAgainst(["input", "relu1"]));
        Assert.Contains("missing relu1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("conv1:out", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Line 2", Assert.Throws<FormatException>(() => CalibrationCache.Parse("TRT-1-X\nbad line\n")).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => CalibrationCache.Parse("hello\n"));
        Assert.Throws<FormatException>(() => CalibrationCache.Parse("TRT-1-X\na: 3c00891z\n"));
    }
}
