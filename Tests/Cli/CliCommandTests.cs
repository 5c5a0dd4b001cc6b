using System.Text.Json;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// Every command on the Fashion-MNIST fixture model with a temp folder of a few images: exit code, files written,
/// --json parsed. One class (run in sequence): the engines are built on the default device.
/// </summary>
public sealed class CliCommandTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void CalibrateWritesBothTablesPlotsAndJson()
    {
        var table = _h.Path("fashion.cache");
        var output = CliHarness.RunOk("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--method", "entropy",
            "--table", table, "--plots", _h.Path("plots"), "--images", "8", "--batch", "4", "--normalize", "0.2860,0.3530", "--json",
            "--export-qdq", _h.Path("qdq.onnx"));
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("entropy", root.GetProperty("method").GetString());
        Assert.Equal(4, root.GetProperty("qdq_weights").GetInt32());
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(_h.Path("qdq.onnx")))
        {
            Assert.Contains("input", session.InputMetadata.Keys);
        }
        var tensors = root.GetProperty("tensors");
        Assert.True(tensors.GetArrayLength() >= 5, output);
        foreach (var t in tensors.EnumerateArray())
        {
            Assert.True(t.GetProperty("threshold").GetDouble() > 0, t.ToString());
        }

        var cache = CalibrationCache.Read(table);
        Assert.Equal(tensors.GetArrayLength(), cache.Scales.Count);
        Assert.Equal(cache.Scales.Count, CalibrationJson.Read(table + ".json").Tensors.Count);
        Assert.Equal(cache.Scales.Count, Directory.GetFiles(_h.Path("plots"), "*.svg").Length);
    }

    [Fact]
    public void RunWritesNpyAndPbOutputsThatAgree()
    {
        var (images, _) = OnnxFixtures.FashionTestImages(2);
        var npyIn = _h.Path("x.npy");
        var pbIn = _h.Path("x.pb");
        TensorFiles.Write(npyIn, "input", new FileTensor(images, [2, 1, 28, 28]));
        TensorFiles.Write(pbIn, "input", new FileTensor(images, [2, 1, 28, 28]));
        CliHarness.RunOk("run", "--model", CliHarness.Model, "--input", npyIn, "--output", _h.Path("y.npy"));
        CliHarness.RunOk("run", "--model", CliHarness.Model, "--precision", "fp32", "--input", "input=" + pbIn, "--output", "probabilities=" + _h.Path("y.pb"));
        var npy = TensorFiles.Read(_h.Path("y.npy"));
        var pb = TensorFiles.Read(_h.Path("y.pb"));
        Assert.Equal([2, 10], npy.Shape);
        Assert.Equal(npy.Shape, pb.Shape);
        Assert.Equal(npy.Data, pb.Data);
        Assert.InRange(npy.Data.Take(10).Sum(), 0.999f, 1.001f);
    }

    [Fact]
    public void RunInt8NeedsRangesThenUsesTheTable()
    {
        var (images, _) = OnnxFixtures.FashionTestImages(1);
        var input = _h.Path("one.npy");
        TensorFiles.Write(input, "input", new FileTensor(images, [1, 1, 28, 28]));
        var (code, output) = CliHarness.Run("run", "--model", CliHarness.Model, "--precision", "int8", "--input", input);
        Assert.Equal(2, code);
        Assert.Contains("INT8 needs activation ranges", output, StringComparison.Ordinal);

        var table = _h.Path("t.json");
        CliHarness.RunOk("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--table", table, "--images", "4", "--normalize", "0.2860,0.3530");
        Assert.True(File.Exists(_h.Path("t.cache")));
        foreach (var t in new[] { table, _h.Path("t.cache") })
        {
            var y = _h.Path(Path.GetFileName(t) + ".out.npy");
            CliHarness.RunOk("run", "--model", CliHarness.Model, "--precision", "int8", "--table", t, "--input", input, "--output", y);
            Assert.Equal([1, 10], TensorFiles.Read(y).Shape);
        }
    }

    [Fact]
    public void RunInt8OnTheQdqModelUsesItsOwnRanges()
    {
        var (images, _) = OnnxFixtures.FashionTestImages(2);
        var input = _h.Path("two.npy");
        TensorFiles.Write(input, "input", new FileTensor(images, [2, 1, 28, 28]));
        var output = CliHarness.RunOk("run", "--model", OnnxFixtures.FashionCnnQdq, "--precision", "int8", "--input", input, "--output", _h.Path("q.pb"));
        Assert.Contains("INT8 outputs", output, StringComparison.Ordinal);
        Assert.Equal(20, TensorFiles.Read(_h.Path("q.pb")).Data.Length);
    }

    [Fact]
    public void EvalJsonHasTop1AndAgreement()
    {
        var output = CliHarness.RunOk("eval", "--model", CliHarness.Model, "--data", _h.Data, "--normalize", "0.2860,0.3530",
            "--calibration-images", "8", "--batch", "8", "--json");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(CliHarness.Images, root.GetProperty("images").GetInt32());
        double fp32 = root.GetProperty("fp32_top1").GetDouble(), int8 = root.GetProperty("int8_top1").GetDouble();
        double agreement = root.GetProperty("agreement").GetDouble();

        // The first 8 shipped test images are easy: the FP32 CNN gets most of them, and INT8 (99 % agreement on the
        // 10 000 test images) changes the class of at most one of the 8; top-1 can move no more than the disagreement.
        Assert.True(fp32 >= 0.75, output);
        Assert.True(agreement >= 7.0 / CliHarness.Images, output);
        Assert.True(Math.Abs(int8 - fp32) <= 1 - agreement + 1e-9, output);
        Assert.True(int8 >= fp32 - (1.0 / CliHarness.Images), output);
        Assert.Contains("entropy", root.GetProperty("ranges").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EvalOnTheQdqModelUsesItsOwnRangesUnlessAMethodIsGiven()
    {
        string[] common = ["eval", "--model", OnnxFixtures.FashionCnnQdq, "--data", _h.Data, "--normalize", "0.2860,0.3530", "--calibration-images", "8", "--batch", "8", "--json"];
        using var own = JsonDocument.Parse(CliHarness.RunOk(common));
        Assert.Equal("the model's QDQ ranges", own.RootElement.GetProperty("ranges").GetString());
        using var calibrated = JsonDocument.Parse(CliHarness.RunOk([.. common, "--method", "minmax"]));
        Assert.StartsWith("minmax calibration", calibrated.RootElement.GetProperty("ranges").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BenchJsonReportsBothPrecisions()
    {
        var output = CliHarness.RunOk("bench", "--model", CliHarness.Model, "--batch", "2", "--iterations", "1", "--warmup", "1", "--json");
        using var json = JsonDocument.Parse(output);
        var results = json.RootElement.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        foreach (var r in results.EnumerateArray())
        {
            Assert.True(r.GetProperty("images_per_s").GetDouble() > 0, r.ToString());
        }
    }

    [Fact]
    public void ReportWritesPerTensorErrors()
    {
        var outDir = _h.Path("report");
        var output = CliHarness.RunOk("report", "--model", CliHarness.Model, "--data", _h.Data, "--out", outDir, "--images", "2",
            "--calibration-images", "4", "--normalize", "0.2860,0.3530", "--json");
        using var json = JsonDocument.Parse(output);
        var compared = json.RootElement.GetProperty("summary").GetProperty("compared").GetInt32();
        Assert.True(compared >= 3, output);
        foreach (var f in new[] { "report.txt", "report.csv", "report.json", "calibration.cache", "calibration.cache.json" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        }
    }

    [Fact]
    public void DemoPrintsTheTableAndWritesItsFiles()
    {
        var outDir = _h.Path("demo");
        var output = CliHarness.RunOk("demo", "--data", _h.Data, "--out", outDir, "--calibration-images", "8", "--images", "8", "--compare-images", "2", "--batch", "8", "--no-progress");
        foreach (var text in new[] { "top-1", "agreement", "images/s", "calibration", "SQNR", "plots" })
        {
            Assert.Contains(text, output, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(Path.Combine(outDir, "fashion_cnn.calibration.cache")));
        Assert.True(File.Exists(Path.Combine(outDir, "report.csv")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "plots"), "*.svg"));
    }
}
