using ILGPUInt8.Cli.Common;
using ILGPUInt8.Kernels.Runtime;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// --device cuda:N and ILGPUINT8_DEVICE=cuda:N: any N parses; a device beyond the last is a usage error (exit 2) that
/// names how many CUDA devices there are, with no stack trace. This machine has none, so cuda:3 takes that path.
/// </summary>
public sealed class CliDeviceTests
{
    [Theory]
    [InlineData("cpu", "cpu", 0)]
    [InlineData("cuda", "cuda", 0)]
    [InlineData("CUDA:0", "cuda", 0)]
    [InlineData("cuda:3", "cuda", 3)]
    [InlineData("cuda:12", "cuda", 12)]
    public void Device_values_parse(string text, string kind, int ordinal)
    {
        Assert.True(DeviceChoice.TryParse(text, out var choice));
        Assert.Equal(new DeviceChoice(kind, ordinal), choice);
        Assert.Equal(kind == "cpu" ? 0 : ordinal, Int8Device.ParseCudaOrdinal(text));
    }

    [Theory]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("tpu")]
    public void Bad_device_values_do_not_parse(string text)
    {
        Assert.False(DeviceChoice.TryParse(text, out _));
        Assert.Equal(-1, Int8Device.ParseCudaOrdinal(text));
    }

    [Fact]
    public void A_cuda_device_beyond_the_last_is_a_usage_error_naming_the_count()
    {
        Assert.SkipWhen(Int8Device.CudaDeviceCount > 3, "this machine has a fourth CUDA device");
        var (code, output, error) = CliHarness.RunFull("bench", "--model", CliHarness.Model, "--iterations", "1", "--device", "cuda:3");
        Assert.Equal(2, code);
        Assert.StartsWith("ilgpu-int8: error: --device cuda:3: ", error, StringComparison.Ordinal);
        Assert.Contains($"{Int8Device.CudaDeviceCount} CUDA device", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("images/s", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_variable_is_checked_the_same_way()
    {
        Assert.SkipWhen(Int8Device.CudaDeviceCount > 3, "this machine has a fourth CUDA device");
        var before = Environment.GetEnvironmentVariable(Int8Device.DeviceEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(Int8Device.DeviceEnvironmentVariable, "cuda:3");
            var (code, _, error) = CliHarness.RunFull("bench", "--model", CliHarness.Model, "--iterations", "1");
            Assert.Equal(2, code);
            Assert.Contains("ILGPUINT8_DEVICE=cuda:3", error, StringComparison.Ordinal);
            Assert.Contains($"{Int8Device.CudaDeviceCount} CUDA device", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

            Environment.SetEnvironmentVariable(Int8Device.DeviceEnvironmentVariable, "tpu");
            (code, _, error) = CliHarness.RunFull("bench", "--model", CliHarness.Model, "--iterations", "1");
            Assert.Equal(2, code);
            Assert.Contains("ILGPUINT8_DEVICE='tpu'", error, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Int8Device.DeviceEnvironmentVariable, before);
        }
    }

    [Fact]
    public void Cpu_still_works()
    {
        var (code, output, error) = CliHarness.RunFull("bench", "--model", CliHarness.Model, "--iterations", "1", "--warmup", "0", "--precision", "fp32", "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains("images/s", output, StringComparison.Ordinal);
    }
}
