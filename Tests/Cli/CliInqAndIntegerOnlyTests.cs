using System.Text.Json;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Tests.Onnx;
using ILGPUInt8.Training.Inq;
using ILGPUInt8.Training.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// <c>ilgpu-int8 inq</c> on a tiny budget (8 training and 8 test images, one epoch a step) and <c>--integer-only</c> on
/// build and eval: files written, JSON parsed, the exported ONNX model's weights powers of two and runnable in ONNX
/// Runtime, outputs checked before the work starts.
/// </summary>
public sealed class CliInqAndIntegerOnlyTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Inq_writes_a_power_of_two_model_that_onnx_runtime_runs_with_its_table_and_plot()
    {
        var output = _h.Path("m_inq.onnx");
        var json = CliHarness.RunOk("inq", "--model", CliHarness.Model, "--data", _h.Data, "--bits", "3", "--out", output,
            "--epochs-per-step", "1", "--batch", "4", "--device", "cpu", "--json");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("bits").GetInt32());
        Assert.StartsWith("CPU (SGEMM", root.GetProperty("device").GetString(), StringComparison.Ordinal);
        Assert.Equal(CliHarness.Images, root.GetProperty("train_images").GetInt32());
        var steps = root.GetProperty("steps");
        Assert.Equal(5, steps.GetArrayLength());
        Assert.Equal([0, 0.5, 0.75, 0.875, 1.0], steps.EnumerateArray().Select(s => s.GetProperty("portion").GetDouble()));
        Assert.Contains("nibbles", root.GetProperty("weight_bytes").GetString(), StringComparison.Ordinal);

        // The model: every convolution and fully connected weight is 0 or ±2^n within the layer's 3-bit range.
        var network = OnnxTrainable.Load(output);
        var original = OnnxTrainable.Load(CliHarness.Model);
        foreach (var (p, o) in IncrementalQuantizer.QuantizedWeights(network).Zip(IncrementalQuantizer.QuantizedWeights(original)))
        {
            var range = PowerOfTwo.ForLayer(o.Value.Max(MathF.Abs), 3);
            Assert.All(p.Value, w => Assert.True(range.Contains(w), $"{p.Name}: {w} is not in {range}"));
            Assert.True(p.Value.Distinct().Count() <= 5, p.Name);
        }

        var (images, _) = OnnxFixtures.FashionTestImages(2);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(output))
        {
            var x = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(images, [2, 1, 28, 28]);
            using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", x)]);
            var probs = results.First().AsEnumerable<float>().ToArray();
            Assert.Equal(20, probs.Length);
            Assert.InRange(probs.Take(10).Sum(), 0.999f, 1.001f);
        }

        Assert.StartsWith("portion,top1", File.ReadAllText(_h.Path("m_inq.inq.csv")), StringComparison.Ordinal);
        Assert.Contains("<svg", File.ReadAllText(_h.Path("m_inq.inq.svg")), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_h.Dir, "*.tmp"));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Inq_on_cuda_names_the_device_and_writes_the_cpu_runs_weights()
    {
        _ = Infrastructure.TestDevices.Cuda;
        string Run(string device, string output)
        {
            var json = CliHarness.RunOk("inq", "--model", CliHarness.Model, "--data", _h.Data, "--bits", "4", "--out", _h.Path(output),
                "--epochs-per-step", "1", "--batch", "4", "--device", device, "--json");
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("device").GetString()!;
        }

        Assert.StartsWith("CPU (SGEMM", Run("cpu", "cpu.onnx"), StringComparison.Ordinal);
        Assert.StartsWith("CUDA sm_", Run("cuda", "cuda.onnx"), StringComparison.Ordinal);
        var cpu = IncrementalQuantizer.QuantizedWeights(OnnxTrainable.Load(_h.Path("cpu.onnx")));
        var cuda = IncrementalQuantizer.QuantizedWeights(OnnxTrainable.Load(_h.Path("cuda.onnx")));
        Assert.All(cpu.Zip(cuda), pair => Assert.Equal(pair.First.Value, pair.Second.Value));
        Assert.Equal(File.ReadAllText(_h.Path("cpu.inq.csv")).Split('\n').Select(l => string.Join(',', l.Split(',').SkipLast(1))),
            File.ReadAllText(_h.Path("cuda.inq.csv")).Split('\n').Select(l => string.Join(',', l.Split(',').SkipLast(1))));
    }

    [Fact]
    public void Inq_checks_its_outputs_before_training()
    {
        // An output folder that is a file, and the model as its own output: refused at once, nothing written.
        AtomicFile.WriteAllText(_h.Path("file"), "x");
        var (code, text) = CliHarness.Run("inq", "--model", CliHarness.Model, "--data", _h.Data, "--out", _h.Path("file/m.onnx"));
        Assert.NotEqual(0, code);
        Assert.Contains("file", text, StringComparison.Ordinal);
        var copy = _h.Path("copy.onnx");
        AtomicFile.WriteAllBytes(copy, File.ReadAllBytes(CliHarness.Model));
        var before = File.ReadAllBytes(copy);
        (code, text) = CliHarness.Run("inq", "--model", copy, "--data", _h.Data, "--out", _h.Path("ok.onnx"), "--csv", copy);
        Assert.Equal(2, code);
        Assert.Contains("would overwrite the model", text, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(copy));
        Assert.False(File.Exists(_h.Path("ok.onnx")));
        Assert.False(File.Exists(_h.Path("ok.inq.svg")));

        (code, text) = CliHarness.Run("inq", "--model", CliHarness.Model, "--data", _h.Data, "--out", _h.Path("b.onnx"), "--bits", "9");
        Assert.Equal(2, code);
        Assert.Contains("--bits", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_only_build_and_eval()
    {
        var engine = _h.Path("int.engine");
        using (var doc = JsonDocument.Parse(CliHarness.RunOk("build", "--model", OnnxFixtures.FashionCnnQdq, "--precision", "int8", "--integer-only", "--batch", "4", "--save-engine", engine, "--json")))
        {
            Assert.True(doc.RootElement.GetProperty("integer_only").GetBoolean());
        }

        using (var loaded = Layers.Runtime.Engine.LoadCpu(engine))
        {
            Assert.True(loaded.IntegerOnly);
        }

        var (code, text) = CliHarness.Run("build", "--model", CliHarness.Model, "--integer-only", "--save-engine", _h.Path("f.engine"));
        Assert.Equal(2, code);
        Assert.Contains("--integer-only needs --precision int8", text, StringComparison.Ordinal);

        using var eval = JsonDocument.Parse(CliHarness.RunOk("eval", "--model", CliHarness.Model, "--data", _h.Data, "--normalize", "0.2860,0.3530",
            "--calibration-images", "8", "--batch", "8", "--integer-only", "--json"));
        Assert.True(eval.RootElement.GetProperty("int8_integer_only").GetBoolean());
        Assert.True(eval.RootElement.GetProperty("agreement").GetDouble() >= 7.0 / CliHarness.Images);
    }
}
