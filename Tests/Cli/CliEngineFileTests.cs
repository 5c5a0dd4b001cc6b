using System.Text.Json;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>trtexec's features: engines saved and loaded (same outputs), bench percentiles, exports, profile, layer info; .npy data.</summary>
public sealed class CliEngineFileTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void TimingCacheIsWrittenByBuildAndBenchAndABadOneIsAUsageErrorNamingIt()
    {
        var cache = _h.Path("timing.json");
        CliHarness.RunOk(["build", "--model", CliHarness.Model, "--precision", "fp32", "--save-engine", _h.Path("t.plan"), "--timing-cache", cache]);
        using (var written = JsonDocument.Parse(File.ReadAllText(cache)))
        {
            Assert.Equal(1, written.RootElement.GetProperty("schema").GetInt32());
            Assert.Equal(JsonValueKind.Array, written.RootElement.GetProperty("entries").ValueKind);
        }

        CliHarness.RunOk(["bench", "--model", CliHarness.Model, "--precision", "int8", "--batch", "2", "--iterations", "2", "--timing-cache", cache]);
        var bad = _h.Path("bad.json");
        AtomicFile.WriteAllText(bad, "{\"schema\": 7, \"entries\": []}");
        var (code, _, err) = CliHarness.RunFull("bench", "--model", CliHarness.Model, "--precision", "int8", "--iterations", "2", "--timing-cache", bad);
        Assert.Equal(2, code);
        Assert.Contains(bad, err, StringComparison.Ordinal);
        Assert.Equal("{\"schema\": 7, \"entries\": []}", File.ReadAllText(bad));
    }

    [Fact]
    public void BenchSaveEngineThenLoadEngineGivesTheSameOutputs()
    {
        var plan = _h.Path("e.plan");
        string[] common = ["--batch", "2", "--iterations", "3", "--warmup", "1", "--json"];
        using var saved = JsonDocument.Parse(CliHarness.RunOk(["bench", "--model", CliHarness.Model, "--precision", "int8", "--save-engine", plan, .. common]));
        Assert.True(File.Exists(plan));
        using var loaded = JsonDocument.Parse(CliHarness.RunOk(["bench", "--load-engine", plan, .. common]));
        var a = saved.RootElement.GetProperty("results")[0];
        var b = loaded.RootElement.GetProperty("results")[0];
        Assert.Equal("int8", b.GetProperty("precision").GetString());
        Assert.Equal(a.GetProperty("outputs_sha256").GetString(), b.GetProperty("outputs_sha256").GetString());
        foreach (var key in new[] { "min", "mean", "median", "p90", "p95", "p99", "max" })
        {
            Assert.True(b.GetProperty("latency_ms").GetProperty(key).GetDouble() > 0, key);
        }

        var latency = b.GetProperty("latency_ms");
        Assert.True(latency.GetProperty("min").GetDouble() <= latency.GetProperty("median").GetDouble());
        Assert.True(latency.GetProperty("p99").GetDouble() <= latency.GetProperty("max").GetDouble());
        Assert.Equal(3, b.GetProperty("timed_runs").GetInt32());

        // A corrupt engine file is an error saying so (exit 1), not a crash.
        var bytes = File.ReadAllBytes(plan);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(_h.Path("bad.plan"), bytes);
        var (code, output) = CliHarness.Run("bench", "--load-engine", _h.Path("bad.plan"));
        Assert.Equal(1, code);
        Assert.Contains("checksum", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchPrintsPercentilesExportsTimesProfileAndLayerInfo()
    {
        var times = _h.Path("times.json");
        var profile = _h.Path("profile.json");
        var output = CliHarness.RunOk("bench", "--model", CliHarness.Model, "--precision", "fp32", "--batch", "2", "--iterations", "4", "--warmup", "0",
            "--export-times", times, "--export-profile", profile, "--layer-info");
        foreach (var text in new[] { "images/s", "median", "p90", "p95", "p99", "max", "profile", "Convolution", "activation arena", "kernel", "scratch", "cpu_conv_f32", "1x28x28 -> " })
        {
            Assert.Contains(text, output, StringComparison.Ordinal);
        }

        using var t = JsonDocument.Parse(File.ReadAllText(times));
        Assert.Equal(4, t.RootElement.GetProperty("times_ms").GetProperty("fp32").GetArrayLength());
        using var p = JsonDocument.Parse(File.ReadAllText(profile));
        Assert.True(p.RootElement.GetProperty("profiles").GetProperty("fp32").GetProperty("steps").GetArrayLength() > 3);
    }

    [Fact]
    public void BuildThenRunLoadEngineMatchesRunModel()
    {
        var (images, _) = OnnxFixtures.FashionTestImages(2);
        var input = _h.Path("x.npy");
        TensorFiles.Write(input, "input", new FileTensor(images, [2, 1, 28, 28]));
        var plan = _h.Path("fp32.plan");
        using var built = JsonDocument.Parse(CliHarness.RunOk("build", "--model", CliHarness.Model, "--batch", "2", "--save-engine", plan, "--layer-info", "--json"));
        var steps = built.RootElement.GetProperty("layers").GetProperty("steps");
        Assert.True(steps.GetArrayLength() > 3);
        foreach (var step in steps.EnumerateArray())
        {
            // --layer-info gives every step its shapes (C, H, W per item), its kernel and its scratch bytes.
            Assert.True(step.GetProperty("inputs").GetArrayLength() >= 1, step.ToString());
            Assert.Equal(3, step.GetProperty("output").GetArrayLength());
            Assert.False(string.IsNullOrEmpty(step.GetProperty("kernel").GetString()), step.ToString());
            Assert.True(step.GetProperty("scratch_bytes").GetInt64() >= 0);
        }

        var first = steps[0];
        Assert.Equal([1, 28, 28], first.GetProperty("inputs")[0].EnumerateArray().Select(e => e.GetInt32()));
        CliHarness.RunOk("run", "--model", CliHarness.Model, "--input", input, "--output", _h.Path("a.npy"));
        using var ran = JsonDocument.Parse(CliHarness.RunOk("run", "--load-engine", plan, "--input", input, "--output", _h.Path("b.npy"), "--json"));
        Assert.Equal(2, ran.RootElement.GetProperty("batch").GetInt32());
        Assert.Equal(TensorFiles.Read(_h.Path("a.npy")).Data, TensorFiles.Read(_h.Path("b.npy")).Data);
    }

    /// <summary>eval on a folder of .npy images with a labels .npy gives what it gives on the same images as IDX.</summary>
    [Fact]
    public void EvalReadsAFolderOfNpyImagesWithLabels()
    {
        var npyDir = Path.Combine(_h.Dir, "npy");
        Directory.CreateDirectory(npyDir);
        var images = IdxFile.Read(Path.Combine(_h.Data, "t10k-images-idx3-ubyte"));
        var labels = IdxFile.Read(Path.Combine(_h.Data, "t10k-labels-idx1-ubyte"));
        for (var i = 0; i < CliHarness.Images; i++)
        {
            NpyFile.Write(Path.Combine(npyDir, $"img_{i:D3}.npy"), new NpyArray(images.RawData.Slice(i * 784, 784).ToArray(), 28, 28));
        }

        // int64 labels, as np.save writes np.array([...]) by default.
        NpyFile.Write(Path.Combine(npyDir, "labels.npy"), new NpyArray([.. labels.RawData.ToArray().Select(b => (long)b)], CliHarness.Images));
        var table = _h.Path("t.cache");
        CliHarness.RunOk("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--table", table, "--images", "8", "--normalize", "0.2860,0.3530");
        string[] common = ["--model", CliHarness.Model, "--table", table, "--normalize", "0.2860,0.3530", "--batch", "8", "--json"];
        using var fromNpy = JsonDocument.Parse(CliHarness.RunOk(["eval", "--data", npyDir, .. common]));
        using var fromIdx = JsonDocument.Parse(CliHarness.RunOk(["eval", "--data", _h.Data, .. common]));
        Assert.Equal(CliHarness.Images, fromNpy.RootElement.GetProperty("images").GetInt32());
        foreach (var key in new[] { "fp32_top1", "int8_top1", "agreement" })
        {
            Assert.Equal(fromIdx.RootElement.GetProperty(key).GetDouble(), fromNpy.RootElement.GetProperty(key).GetDouble());
        }
    }
}
