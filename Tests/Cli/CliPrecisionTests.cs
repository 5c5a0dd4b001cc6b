using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// --precision fp32|fp16|int8|best and --layer-precision NAME=P (issue 15): eval shows every precision asked in one table
/// (top-1, agreement with FP32, images/s), build saves an FP16 engine whose steps say FP16, run takes a per-layer request,
/// a malformed request is a usage error; --tf32 on|off reaches the engine file; report and demo take --precision; run
/// reads float16 .npy inputs and writes float16 outputs on request.
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

    [Fact]
    public void Tf32_switch_reaches_the_engine_file()
    {
        var on = _h.Path("tf32.engine");
        var off = _h.Path("strict.engine");
        CliHarness.RunOk("build", "--model", CliHarness.Model, "--save-engine", on);
        var output = CliHarness.RunOk("build", "--model", CliHarness.Model, "--tf32", "off", "--save-engine", off, "--layer-info");
        Assert.Contains("FP32", output, StringComparison.Ordinal);
        using (var engine = Layers.Runtime.Engine.LoadCpu(on))
        {
            Assert.True(engine.Tf32);
        }

        using (var engine = Layers.Runtime.Engine.LoadCpu(off))
        {
            Assert.False(engine.Tf32);
        }

        var (code, error) = CliHarness.Run("build", "--model", CliHarness.Model, "--tf32", "maybe", "--save-engine", _h.Path("x.engine"));
        Assert.Equal(2, code);
        Assert.Contains("'maybe'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_reads_float16_npy_inputs_and_writes_float16_outputs()
    {
        // The same half values as float16 and as float32 files give the same outputs; float16 outputs are those rounded.
        var values = new float[2 * 28 * 28];
        var random = new Random(5);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(Half)((random.NextSingle() * 4f) - 2f);
        }

        string x16 = _h.Path("x16.npy"), x32 = _h.Path("x32.npy"), y16 = _h.Path("y16.npy"), y32 = _h.Path("y32.npy");
        NpyFile.Write(x16, new NpyArray([.. values.Select(v => (Half)v)], 2, 1, 28, 28));
        NpyFile.Write(x32, new NpyArray(values, 2, 1, 28, 28));
        CliHarness.RunOk("run", "--model", CliHarness.Model, "--precision", "fp16", "--input", x16, "--output", y16, "--output-dtype", "float16");
        CliHarness.RunOk("run", "--model", CliHarness.Model, "--precision", "fp16", "--input", x32, "--output", y32);
        var half = NpyFile.Read(y16);
        var single = NpyFile.Read(y32);
        Assert.Equal(NpyDType.Float16, half.DType);
        Assert.Equal(NpyDType.Float32, single.DType);
        Assert.Equal(single.Shape, half.Shape);
        Assert.Equal(((float[])single.Data).Select(v => (Half)v), (Half[])half.Data);
    }

    [Fact]
    public void Report_and_demo_take_a_precision()
    {
        var outDir = _h.Path("report16");
        var output = CliHarness.RunOk("report", "--model", CliHarness.Model, "--data", _h.Data, "--out", outDir, "--images", "2",
            "--calibration-images", "4", "--precision", "fp16");
        Assert.True(File.Exists(Path.Combine(outDir, "report.csv")));
        Assert.Contains("SQNR", output, StringComparison.Ordinal);

        var demo = CliHarness.RunOk("demo", "--data", _h.Data, "--out", _h.Path("demo16"), "--calibration-images", "8", "--images", "8", "--compare-images", "2", "--batch", "8", "--no-progress", "--precision", "fp16");
        Assert.Contains("FP32 vs FP16", demo, StringComparison.Ordinal);
        Assert.Contains("agreement FP32/FP16", demo, StringComparison.Ordinal);
        var (code, error) = CliHarness.Run("demo", "--data", _h.Data, "--out", _h.Path("demo8"), "--precision", "fp16", "--integer-only");
        Assert.Equal(2, code);
        Assert.Contains("--integer-only", error, StringComparison.Ordinal);
    }

    private static string OnnxNetworkLoaderFirstLayer() =>
        Layers.Onnx.OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn).Network.Layers.First(l => l.Type == Layers.Network.LayerType.Convolution).Name;
}
