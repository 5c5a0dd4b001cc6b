using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class ReportTests
{
    [Fact]
    public void Sqnr_cosine_and_max_error_of_known_pairs()
    {
        var e = new QuantizationError();
        e.Add([3f, 4f], [3f, 4.5f]); // ‖x‖ = 5, ‖x − x̂‖ = 0.5 → 20 dB
        Assert.Equal(20.0, e.SqnrDb, 10);
        Assert.Equal(0.5, e.MaxAbsError);
        Assert.Equal((9 + 18) / (5 * Math.Sqrt(9 + 20.25)), e.Cosine, 12);
        e.Add([float.NaN], [1f]);
        Assert.Equal(1, e.NonFinitePairs);
        Assert.Equal(2, e.Count);

        var exact = new QuantizationError();
        exact.Add([1f, -2f], [1f, -2f]);
        Assert.Equal(double.PositiveInfinity, exact.SqnrDb);
        Assert.Equal(1.0, exact.Cosine);
        var zero = new QuantizationError();
        zero.Add([0f], [0f]);
        Assert.Equal(double.PositiveInfinity, zero.SqnrDb);
        Assert.Equal(1.0, zero.Cosine);
        var wrong = new QuantizationError();
        wrong.Add([0f], [1f]);
        Assert.Equal(double.NegativeInfinity, wrong.SqnrDb);
        Assert.Equal(0.0, wrong.Cosine);
        Assert.Throws<ArgumentException>(() => wrong.Add([1f], [1f, 2f]));
    }

    [Fact]
    public void Report_renders_text_csv_json_and_plots()
    {
        using var activations = new InputActivationSource(TestDevices.Cpu, (name, x) => [(name, x), ("zeros", new float[x.Length])]);
        var run = new Calibrator(TestDevices.Cpu, new EntropyCalibrator()).Run(new InMemoryDataSource(CalibratorTests.Batches(2, seed: 9)), activations, cancellationToken: TestContext.Current.CancellationToken);
        var report = new CalibrationReport(run);
        var x = CalibratorTests.Batches(1, seed: 10)[0].Inputs["x"].Data;
        float scale = run.Table["x"].Scale;
        var xq = x.Select(v => Math.Clamp(MathF.Round(v / scale, MidpointRounding.ToEven), -127, 127) * scale).ToArray();
        report.AddComparison("x", x, xq);
        report.AddComparison("logits", [1f, 2f], [1f, 2.1f]);

        var rows = report.Rows();
        Assert.Equal(["x", "zeros", "logits"], rows.Select(r => r.Name));
        Assert.InRange(rows[0].SqnrDb!.Value, 30, 60);
        Assert.Equal(CalibrationFlags.AllZero, rows[1].Flags);
        Assert.Equal(0, rows[1].ClippedShare);
        Assert.Null(rows[2].Threshold);

        string text = ReportFormats.ToText(report);
        Assert.Contains("AllZero", text, StringComparison.Ordinal);
        Assert.Contains("summary: 3 tensors, 1 flagged", text, StringComparison.Ordinal);
        Assert.Contains("2 compared", text, StringComparison.Ordinal);
        string csv = ReportFormats.ToCsv(report);
        Assert.StartsWith("tensor,method,amax,threshold,scale,clipped_share", csv, StringComparison.Ordinal);
        Assert.Equal(4, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        string json = ReportFormats.ToJson(report);
        Assert.Contains("\"worst_tensor\"", json, StringComparison.Ordinal);
        Assert.StartsWith("{\n  \"schema_version\": 1,", json, StringComparison.Ordinal);

        var dir = Directory.CreateTempSubdirectory("calib-report-").FullName;
        try
        {
            Assert.Equal(3, ReportFormats.WriteAll(report, dir).Count(File.Exists));
            var plots = HistogramPlot.WriteAll(Path.Combine(dir, "plots"), run);
            Assert.Equal(2, plots.Count);
            string svg = File.ReadAllText(plots[0]);
            Assert.Contains("<svg", svg, StringComparison.Ordinal);
            Assert.Contains("entropy T = ", svg, StringComparison.Ordinal);
            Assert.DoesNotContain("engine T = ", svg, StringComparison.Ordinal);

            // The engine's own threshold, where it differs, is marked beside the calibrated one.
            var first = run.Histograms.First();
            var engine = new Dictionary<string, float>(StringComparer.Ordinal) { [first.Name] = (float)(run.Results[first.Name].Threshold * 2 + 1) };
            var marked = HistogramPlot.WriteAll(Path.Combine(dir, "plots-engine"), run, engine);
            Assert.Contains("engine T = ", File.ReadAllText(marked[0]), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Clipped_share_counts_the_part_of_the_straddling_bin()
    {
        var counts = new long[TensorHistogram.Bins];
        counts[10] = 100;
        counts[2047] = 100;
        var h = new TensorHistogram("t", 2048f, counts);
        Assert.Equal(0.5, CalibrationResult.Clipped(h, 2047.0));
        Assert.Equal(0.75, CalibrationResult.Clipped(h, 10.5), 12);
        Assert.Equal(0.0, CalibrationResult.Clipped(h, 5000));
    }
}
