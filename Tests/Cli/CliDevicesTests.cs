using System.Text.Json;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// <c>--devices</c> on run, eval, bench and calibrate with several CPU accelerators: the same outputs, accuracies,
/// output hashes and tables as one device; bad lists are usage errors on stderr; <c>info</c> names each device's spec;
/// <see cref="DeviceSpec"/> parses every form in one place.
/// </summary>
public sealed class CliDevicesTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Run_over_two_cpus_writes_the_outputs_of_one()
    {
        var (images, _) = OnnxFixtures.FashionTestImages(5);
        var input = _h.Path("x.npy");
        TensorFiles.Write(input, "input", new FileTensor(images, [5, 1, 28, 28]));
        foreach (var precision in new[] { "fp32", "int8" })
        {
            string[] common = ["run", "--model", precision == "int8" ? OnnxFixtures.FashionCnnQdq : CliHarness.Model, "--precision", precision, "--input", input, "--device", "cpu"];
            CliHarness.RunOk([.. common, "--output", _h.Path($"one-{precision}.npy")]);
            var output = CliHarness.RunOk([.. common, "--devices", "cpu,cpu", "--output", _h.Path($"two-{precision}.npy")]);
            Assert.Contains("2 devices: cpu (", output, StringComparison.Ordinal);
            var one = TensorFiles.Read(_h.Path($"one-{precision}.npy"));
            var two = TensorFiles.Read(_h.Path($"two-{precision}.npy"));
            Assert.Equal(one.Shape, two.Shape);
            Assert.Equal(one.Data.Select(BitConverter.SingleToInt32Bits), two.Data.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Eval_and_calibrate_over_three_cpus_equal_one()
    {
        string[] eval = ["eval", "--model", CliHarness.Model, "--data", _h.Data, "--normalize", "0.2860,0.3530", "--calibration-images", "8", "--batch", "3", "--json", "--device", "cpu"];
        using var one = JsonDocument.Parse(CliHarness.RunOk(eval));
        using var three = JsonDocument.Parse(CliHarness.RunOk([.. eval, "--devices", "cpu,cpu,cpu", "--split", "static"]));
        foreach (var key in new[] { "fp32_top1", "int8_top1", "agreement", "images" })
        {
            Assert.Equal(one.RootElement.GetProperty(key).GetDouble(), three.RootElement.GetProperty(key).GetDouble());
        }

        string[] calibrate = ["calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--images", "8", "--batch", "3", "--normalize", "0.2860,0.3530", "--device", "cpu"];
        CliHarness.RunOk([.. calibrate, "--table", _h.Path("one.cache")]);
        var output = CliHarness.RunOk([.. calibrate, "--table", _h.Path("three.cache"), "--devices", "cpu,cpu,cpu"]);
        Assert.Contains("3 devices", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(_h.Path("one.cache")), File.ReadAllText(_h.Path("three.cache")));
        var a = ILGPUInt8.Calibration.Tables.CalibrationJson.Read(_h.Path("one.cache.json"));
        var b = ILGPUInt8.Calibration.Tables.CalibrationJson.Read(_h.Path("three.cache.json"));
        Assert.Equal(a.Tensors, b.Tensors);
        Assert.Equal(a.DataHash, b.DataHash);
    }

    [Fact]
    public void Bench_reports_each_device_and_the_total()
    {
        string[] bench = ["bench", "--model", CliHarness.Model, "--precision", "int8", "--batch", "2", "--iterations", "3", "--warmup", "1", "--json", "--device", "cpu"];
        using var one = JsonDocument.Parse(CliHarness.RunOk(bench));
        using var two = JsonDocument.Parse(CliHarness.RunOk([.. bench, "--devices", "cpu,cpu"]));
        var r1 = one.RootElement.GetProperty("results")[0];
        var r2 = two.RootElement.GetProperty("results")[0];
        Assert.Equal(r1.GetProperty("outputs_sha256").GetString(), r2.GetProperty("outputs_sha256").GetString());
        Assert.True(r2.GetProperty("images_per_s").GetDouble() > 0, r2.ToString());
        var devices = r2.GetProperty("devices");
        Assert.Equal(2, devices.GetArrayLength());
        Assert.Equal(r2.GetProperty("timed_batches").GetInt64(), devices.EnumerateArray().Sum(d => d.GetProperty("batches").GetInt64()));
        Assert.All(devices.EnumerateArray(), d => Assert.StartsWith("cpu (", d.GetProperty("device").GetString(), StringComparison.Ordinal));

        var table = CliHarness.RunOk([.. bench.Where(a => a != "--json"), "--devices", "cpu,cpu"]);
        Assert.Contains("total", table, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu,,cpu", "empty device name")]
    [InlineData("cpu,tpu", "'tpu'")]
    [InlineData("cuda:0,cuda:0", "twice")]
    public void Bad_device_lists_are_usage_errors_on_stderr(string list, string message)
    {
        var (code, output, error) = CliHarness.RunFull("bench", "--model", CliHarness.Model, "--devices", list);
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cuda_device_the_machine_lacks_names_the_count()
    {
        Assert.SkipWhen(Int8Device.CudaDeviceCount > 7, "this machine has an eighth CUDA device");
        var (code, _, error) = CliHarness.RunFull("run", "--model", CliHarness.Model, "--input", "x.npy", "--devices", "cpu,cuda:7");
        Assert.Equal(2, code);
        Assert.Contains("cuda:7", error, StringComparison.Ordinal);
        Assert.Contains("CUDA device", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_names_each_device_by_its_spec()
    {
        using var json = JsonDocument.Parse(CliHarness.RunOk("info", "--json"));
        var specs = json.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("spec").GetString()).ToList();
        Assert.Contains("cpu", specs);
        Assert.Equal([.. Enumerable.Range(0, Int8Device.CudaDeviceCount).Select(i => $"cuda:{i}")], specs.Where(s => s != "cpu"));
    }

    [Fact]
    public void Device_specs_parse_in_one_place()
    {
        Assert.Equal(DeviceSpec.Cpu, DeviceSpec.Parse("CPU"));
        Assert.Equal(DeviceSpec.Cuda(0), DeviceSpec.Parse("cuda"));
        Assert.Equal(DeviceSpec.Cuda(0), DeviceSpec.Parse("gpu"));
        Assert.Equal("cuda:3", DeviceSpec.Parse(" cuda:3 ").Name);
        Assert.False(DeviceSpec.TryParse("cuda:-1", out _));
        Assert.False(DeviceSpec.TryParse("auto", out _));
        Assert.Equal([DeviceSpec.Cpu, DeviceSpec.Cpu, DeviceSpec.Cpu], DeviceSpec.ParseList("cpu,cpu, cpu"));
        Assert.Equal([DeviceSpec.Cuda(0), DeviceSpec.Cuda(1)], DeviceSpec.ParseList("cuda:0,cuda:1"));
        Assert.Equal(DeviceSpec.All(), DeviceSpec.ParseList("all"));
        Assert.Equal(Int8Device.CudaDeviceCount == 0 ? [DeviceSpec.Cpu] : DeviceSpec.All(), DeviceSpec.ParseList("ALL"));
        Assert.Throws<ArgumentException>(() => DeviceSpec.ParseList("cuda:1,cuda:1"));
        Assert.Throws<ArgumentException>(() => DeviceSpec.Parse("npu"));

        // Two CPU devices are two accelerators; the shared one per spec stays one.
        using var a = Int8Device.Create(DeviceSpec.Cpu);
        using var b = Int8Device.Create(DeviceSpec.Cpu);
        Assert.NotSame(a.Accelerator, b.Accelerator);
        Assert.Same(Int8Device.Shared(DeviceSpec.Cpu), Int8Device.Shared(DeviceKind.Cpu));
        Assert.Equal(DeviceSpec.Cpu, a.Spec);
    }
}
