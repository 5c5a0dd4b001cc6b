using System.Globalization;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Tests.Cli;
using Xunit;

namespace ILGPUInt8.Tests.Fault;

/// <summary>
/// Issue 23's "Why" cases through the CLI, where no other test ran them end to end (Tests/README.md maps every case of
/// the issue to its test): each once gave exit 0 with a silently wrong result or a crash, and must now end in a clean
/// error (exit 1 or 2, a message on stderr, no stack trace).
/// </summary>
public sealed class Issue23CaseTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Bench_batch_3000000_is_a_clean_usage_error()
    {
        // Was: an unhandled OverflowException, exit 134 and a stack trace.
        Refused(2, "--batch must be an integer in [1, 65536]", "bench", "--model", CliHarness.Model, "--batch", "3000000");
    }

    [Fact]
    public void A_header_only_cache_is_refused()
    {
        // Was: "INT8" outputs bit-identical to FP32, exit 0.
        var cache = _h.Path("header-only.cache");
        AtomicFile.WriteAllText(cache, "TRT-8601-EntropyCalibration2\n");
        Refused(1, "no tensor", "run", "--model", CliHarness.Model, "--precision", "int8", "--table", cache, "--input", Input());
    }

    [Fact]
    public void A_json_table_with_no_tensors_is_refused()
    {
        var json = _h.Path("empty.json");
        AtomicFile.WriteAllText(json, "{\"format\": \"ilgpu-int8-calibration/1\", \"method\": \"entropy\", \"tensors\": []}");
        Refused(1, "no tensor", "run", "--model", CliHarness.Model, "--precision", "int8", "--table", json, "--input", Input());
    }

    [Theory]
    [InlineData(1e-10f)]
    [InlineData(1e-40f)]
    public void Scales_outside_the_sane_range_are_refused(float scale)
    {
        // Was: accepted, top-1 10 %. A calibrated table's tensors with every scale replaced (TensorRT caches store the
        // scale T/127 as the hex of its float bits).
        var calibrated = _h.Path("t.cache");
        CliHarness.RunOk("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--table", calibrated, "--images", "4");
        var hex = BitConverter.SingleToUInt32Bits(scale).ToString("x8", CultureInfo.InvariantCulture);
        var lines = File.ReadAllLines(calibrated);
        var bad = _h.Path("tiny.cache");
        AtomicFile.WriteAllText(bad, string.Join('\n', [lines[0], .. lines.Skip(1).Select(l => l.Split(": ")[0] + ": " + hex)]) + "\n");
        Refused(1, "scale", "run", "--model", CliHarness.Model, "--precision", "int8", "--table", bad, "--input", Input());
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Calibrating_on_data_with_no_finite_value_writes_no_table(float value)
    {
        // Was: a table with the placeholder T = 127 (top-1 10 %), exit 0.
        var data = _h.Path("bad.npy");
        NpyFile.Write(data, new NpyArray(Enumerable.Repeat(value, 4 * 28 * 28).ToArray(), 4, 1, 28, 28));
        var table = _h.Path("bad.cache");
        Refused(1, "no finite non-zero value", "calibrate", "--model", CliHarness.Model, "--data", data, "--table", table);
        Assert.False(File.Exists(table));
    }

    [Fact]
    public void An_unknown_output_name_writes_no_file()
    {
        // Was: a file literally named "unknown=y.npy".
        Refused(2, "unknown", "run", "--model", CliHarness.Model, "--input", Input(), "--output", "unknown=" + _h.Path("y.npy"));
        Assert.Empty(Directory.GetFiles(_h.Dir, "unknown=*"));
    }

    [Fact]
    public void Channels_last_input_for_a_channels_first_model_is_refused()
    {
        // Was: [8, 28, 28, 1] accepted for [N, 1, 28, 28] (only the element count was checked).
        var nhwc = _h.Path("nhwc.npy");
        NpyFile.Write(nhwc, new NpyArray(new float[8 * 28 * 28], 8, 28, 28, 1));
        Refused(2, "[8, 28, 28, 1]", "run", "--model", CliHarness.Model, "--input", nhwc);
    }

    private static void Refused(int expected, string message, params string[] args)
    {
        var (code, output, error) = CliHarness.RunFull(args);
        Assert.True(code == expected, $"exit {code}, expected {expected}: {error}{output}");
        Assert.StartsWith("ilgpu-int8: error: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    private string Input()
    {
        var path = _h.Path("x.npy");
        NpyFile.Write(path, new NpyArray(new float[2 * 28 * 28], 2, 1, 28, 28));
        return path;
    }
}
