using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// --precision fp32|fp16|int8|best and --layer-precision NAME=P (issue 15): eval shows every precision asked in one table
/// (top-1, agreement with FP32, images/s), build saves an FP16 engine whose steps say FP16, run takes a per-layer request,
/// a malformed request is a usage error.
/// </summary>
public sealed class CliPrecisionTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Eval_shows_the_requested_precisions_in_one_table()
    {
        var output = CliHarness.RunOk("eval", "--model", CliHarness.Model, "--data", _h.Data, "--images", "8", "--calibration-images", "8", "--precision", "fp16,int8", "--precision", "best");
        foreach (var column in new[] { "FP32", "FP16", "INT8", "BEST", "agreement with FP32", "images/s" })
        {
            Assert.Contains(column, output, StringComparison.Ordinal);
        }

        var json = CliHarness.RunOk("eval", "--model", CliHarness.Model, "--data", _h.Data, "--images", "8", "--precision", "fp16", "--json");
        Assert.Contains("\"precision\": \"fp16\"", json, StringComparison.Ordinal);
        Assert.Contains("\"int8_top1\": null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_saves_an_fp16_engine_and_run_takes_a_layer_request()
    {
        var engine = _h.Path("fp16.engine");
        var output = CliHarness.RunOk("build", "--model", CliHarness.Model, "--precision", "fp16", "--save-engine", engine, "--layer-info");
        Assert.Contains("FP16", output, StringComparison.Ordinal);
        Assert.True(File.Exists(engine));

        var input = _h.Path("x.npy");
        NpyFile.Write(input, new NpyArray(new float[2 * 28 * 28], 2, 1, 28, 28));
        var json = CliHarness.RunOk("run", "--load-engine", engine, "--input", input, "--json");
        Assert.Contains("\"precision\": \"fp16\"", json, StringComparison.Ordinal);

        var layer = OnnxNetworkLoaderFirstLayer();
        json = CliHarness.RunOk("run", "--model", CliHarness.Model, "--layer-precision", layer + "=fp16", "--input", input, "--json");
        Assert.Contains("\"precision\": \"fp16\"", json, StringComparison.Ordinal);

        var (code, error) = CliHarness.Run("run", "--model", CliHarness.Model, "--layer-precision", layer + "=fp8", "--input", input);
        Assert.Equal(2, code);
        Assert.Contains("NAME=fp16", error, StringComparison.Ordinal);
    }

    private static string OnnxNetworkLoaderFirstLayer() =>
        Layers.Onnx.OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn).Network.Layers.First(l => l.Type == Layers.Network.LayerType.Convolution).Name;
}
