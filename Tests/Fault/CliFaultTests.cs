using System.Text;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Tests.Cli;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Fault;

/// <summary>
/// The CLI cases of issue 23: outputs checked before the work, unknown output names, shapes checked by dimension, the
/// model's own preprocessing used by default (a warning when unknown), a table of other preprocessing refused, a
/// missing tensor an error unless --allow-missing, calibration data without a finite non-zero value refused.
/// </summary>
public sealed class CliFaultTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Calibrate_checks_its_outputs_before_calibrating()
    {
        var blocker = _h.Path("a-file");
        File.WriteAllText(blocker, "x");
        var (code, output) = CliHarness.Run("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--table", Path.Combine(blocker, "t.cache"), "--images", "4");
        Assert.Equal(1, code);
        Assert.DoesNotContain("calibrated in", output, StringComparison.Ordinal);

        // A plots folder that cannot be made: nothing written, not even the table.
        var table = _h.Path("t.cache");
        (code, output) = CliHarness.Run("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--table", table, "--images", "4", "--plots", Path.Combine(blocker, "plots"));
        Assert.Equal(1, code);
        Assert.False(File.Exists(table), output);
    }

    [Fact]
    public void Demo_and_report_check_their_folders_first()
    {
        var blocker = _h.Path("a-file");
        File.WriteAllText(blocker, "x");
        var (code, output) = CliHarness.Run("demo", "--out", blocker, "--shipped");
        Assert.Equal(1, code);
        Assert.DoesNotContain("top-1", output, StringComparison.Ordinal);
        (code, output) = CliHarness.Run("report", "--model", CliHarness.Model, "--data", _h.Data, "--out", Path.Combine(blocker, "r"));
        Assert.Equal(1, code);
        Assert.DoesNotContain("SQNR", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_output_name_is_a_usage_error()
    {
        var input = Input(2);
        var (code, output) = CliHarness.Run("run", "--model", CliHarness.Model, "--input", input, "--output", "unknown=" + _h.Path("y.npy"));
        Assert.Equal(2, code);
        Assert.Contains("unknown", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_h.Dir, "unknown=*"));
    }

    [Fact]
    public void Inputs_are_checked_dimension_by_dimension()
    {
        var channelsLast = _h.Path("nhwc.npy");
        NpyFile.Write(channelsLast, new NpyArray(new float[8 * 28 * 28], 8, 28, 28, 1));
        var (code, output) = CliHarness.Run("run", "--model", CliHarness.Model, "--input", channelsLast);
        Assert.Equal(2, code);
        Assert.Contains("[8, 28, 28, 1]", output, StringComparison.Ordinal);
        CliHarness.RunOk("run", "--model", CliHarness.Model, "--input", Input(3));
    }

    [Fact]
    public void Eval_uses_the_models_own_preprocessing_and_warns_when_there_is_none()
    {
        var output = CliHarness.RunOk("eval", "--model", CliHarness.Model, "--data", _h.Data, "--images", "4", "--calibration-images", "4");
        Assert.Contains("(pixels / 255 - 0.286) / 0.353", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", output, StringComparison.Ordinal);

        var bare = _h.Path("bare.onnx");
        File.WriteAllBytes(bare, WithoutMetadata(File.ReadAllBytes(CliHarness.Model)));
        var (code, _, error) = CliHarness.RunFull("eval", "--model", bare, "--data", _h.Data, "--images", "4", "--calibration-images", "4");
        Assert.Equal(0, code);
        Assert.Contains("does not say how its inputs are prepared", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_calibrated_with_other_preprocessing_is_refused()
    {
        var table = _h.Path("unit.json");
        CliHarness.RunOk("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--table", table, "--images", "4", "--normalize", "0,1");
        Assert.True(CalibrationJson.Read(table).Preprocessing?.Matches(Preprocessing.UnitPixels));
        var (code, output) = CliHarness.Run("eval", "--model", CliHarness.Model, "--data", _h.Data, "--table", table, "--images", "4");
        Assert.Equal(1, code);
        Assert.Contains("prepared as", output, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", output, StringComparison.Ordinal);

        // Asked for by name, the other preprocessing runs, with a warning that the model says otherwise.
        var (ok, _, warning) = CliHarness.RunFull("eval", "--model", CliHarness.Model, "--data", _h.Data, "--table", table, "--images", "4", "--normalize", "0,1");
        Assert.Equal(0, ok);
        Assert.Contains("warning: --normalize gives pixels / 255", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_missing_a_tensor_is_an_error_unless_allowed()
    {
        var table = _h.Path("t.cache");
        CliHarness.RunOk("calibrate", "--model", CliHarness.Model, "--data", _h.Data, "--table", table, "--images", "4");
        var lines = File.ReadAllLines(table).ToList();
        var dropped = lines[1].Split(": ")[0]; // the network input: the first convolution needs its range
        var partial = _h.Path("partial.cache");
        File.WriteAllLines(partial, lines.Where((_, i) => i != 1));
        var input = Input(2);
        var (code, output) = CliHarness.Run("run", "--model", CliHarness.Model, "--precision", "int8", "--table", partial, "--input", input);
        Assert.Equal(1, code);
        Assert.Contains(dropped, output, StringComparison.Ordinal);
        CliHarness.RunOk("run", "--model", CliHarness.Model, "--precision", "int8", "--table", partial, "--input", input, "--allow-missing", dropped);
    }

    [Fact]
    public void Calibrating_on_all_zero_data_fails_naming_the_input()
    {
        var zeros = _h.Path("zeros.npy");
        NpyFile.Write(zeros, new NpyArray(new float[4 * 28 * 28], 4, 1, 28, 28));
        var table = _h.Path("z.cache");
        var (code, output) = CliHarness.Run("calibrate", "--model", CliHarness.Model, "--data", zeros, "--table", table);
        Assert.Equal(1, code);
        Assert.Contains("no finite non-zero value", output, StringComparison.Ordinal);
        Assert.False(File.Exists(table));
    }

    private string Input(int n)
    {
        var path = _h.Path($"x{n}.npy");
        var images = IdxFile.Read(Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-images.idx.gz"));
        NpyFile.Write(path, new NpyArray([.. images.RawData[..(n * 28 * 28)].ToArray().Select(b => ((b / 255f) - 0.286f) / 0.353f)], n, 1, 28, 28));
        return path;
    }

    /// <summary>The model without the metadata entry Models/add_preprocessing_metadata.py appended (field 14 at the end).</summary>
    private static byte[] WithoutMetadata(byte[] model)
    {
        static byte[] Field(int number, byte[] payload) => [(byte)((number << 3) | 2), .. Varint(payload.Length), .. payload];
        static byte[] Varint(int n)
        {
            var bytes = new List<byte>();
            do
            {
                var b = (byte)(n & 0x7F);
                n >>= 7;
                bytes.Add((byte)(b | (n != 0 ? 0x80 : 0)));
            }
            while (n != 0);
            return [.. bytes];
        }

        var entry = Field(1, Encoding.UTF8.GetBytes(Preprocessing.MetadataKey)).Concat(Field(2, Encoding.UTF8.GetBytes("scale=0.00392156862745098;mean=0.286;std=0.353;layout=NCHW"))).ToArray();
        var record = Field(14, entry);
        Assert.True(model.AsSpan().EndsWith(record), "the fixture model ends with its preprocessing metadata");
        return model[..^record.Length];
    }
}
