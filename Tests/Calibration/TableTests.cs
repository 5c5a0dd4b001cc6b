using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class TableTests
{
    [Fact]
    public void Hex_encoding_of_known_values()
    {
        Assert.Equal(0.0078451801f, CalibrationCache.FromHex("3c008912"));
        Assert.Equal("3c008912", CalibrationCache.ToHex(0.0078451801f));
        Assert.Equal(1f, CalibrationCache.FromHex("3F800000"));
        Assert.Equal("3c010204", CalibrationCache.ToHex(CalibrationResult.ScaleOf(1.0)));
        Assert.Throws<FormatException>(() => CalibrationCache.FromHex("3c0089"));
    }

    [Fact]
    public void TensorRT_cache_of_a_table_round_trips()
    {
        var table = Sample();
        string text = table.ToCache().ToText();
        Assert.StartsWith("TRT-8601-EntropyCalibration2\n", text, StringComparison.Ordinal);
        Assert.Contains("conv1/out: 3c008912\n", text, StringComparison.Ordinal);

        var read = CalibrationTable.FromCache(CalibrationCache.Parse(text), new ModelSignature(null, ["input", "conv1/out", "relu:0"]));
        Assert.Equal("entropy", read.Method);
        Assert.Equal(table.Tensors.Select(t => t.Name), read.Tensors.Select(t => t.Name));
        Assert.Equal(table.Tensors.Select(t => t.Scale), read.Tensors.Select(t => t.Scale));
        Assert.Equal(0.0078451801f * 127.0, read["conv1/out"].Threshold, 12);
    }

    [Fact]
    public void TensorRT_cache_file_round_trips_and_headers_name_the_method()
    {
        var path = Path.GetTempFileName();
        try
        {
            Sample().ToCache().Write(path);
            Assert.Equal(Sample().Tensors.Select(t => t.Scale), CalibrationCache.Read(path).Scales.Select(s => s.Value));
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal("TRT-8601-MinMaxCalibration", CalibrationCache.HeaderFor("minmax"));
        Assert.Equal("TRT-8601-LegacyCalibration", CalibrationCache.HeaderFor("mse"));
        Assert.Equal("minmax", CalibrationCache.Parse("TRT-10000-MinMaxCalibration\nx: 3c008912\n").Method);
    }

    [Fact]
    public void Json_round_trips_the_whole_record()
    {
        var table = Sample();
        string json = CalibrationJson.Serialize(table);
        var read = CalibrationJson.Deserialize(json, new ModelSignature("model-hash", ["input", "conv1/out", "relu:0"]));
        Assert.Equal(table.ModelHash, read.ModelHash);
        Assert.Equal(table.DataHash, read.DataHash);
        Assert.Equal(table.Tensors, read.Tensors);
        Assert.Contains("\"scale_hex\": \"3c008912\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatched_tables_are_rejected_naming_the_mismatch()
    {
        string json = CalibrationJson.Serialize(Sample());
        var missing = Assert.Throws<CalibrationTableMismatchException>(() =>
            CalibrationJson.Deserialize(json, new ModelSignature("model-hash", ["input", "conv1/out", "relu:0", "fc/out"]), "t.json"));
        Assert.Equal(["fc/out"], missing.Missing);
        Assert.Equal("The calibration table t.json does not match the model: missing fc/out.", missing.Message);

        var extra = Assert.Throws<CalibrationTableMismatchException>(() =>
            CalibrationJson.Deserialize(json, new ModelSignature("model-hash", ["input", "conv1/out"])));
        Assert.Equal(["relu:0"], extra.Extra);
        Assert.Contains("not in the model relu:0", extra.Message, StringComparison.Ordinal);

        var hash = Assert.Throws<CalibrationTableMismatchException>(() =>
            CalibrationJson.Deserialize(json, new ModelSignature("other-hash", ["input", "conv1/out", "relu:0"])));
        Assert.Contains("model hash differs (table model-hash, model other-hash)", hash.Message, StringComparison.Ordinal);

        var cache = CalibrationCache.Parse(Sample().ToCache().ToText());
        var trt = Assert.Throws<CalibrationTableMismatchException>(() => CalibrationTable.FromCache(cache, new ModelSignature("any", ["input"])));
        Assert.Equal(["conv1/out", "relu:0"], trt.Extra);
    }

    [Theory]
    [InlineData("TRT-8601-EntropyCalibration2\nx: 00000000\n", "is not a normal float32")]
    [InlineData("TRT-8601-EntropyCalibration2\nx: 7fc00000\n", "is not a normal float32")]
    public void Caches_with_unusable_scales_are_rejected(string text, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => CalibrationTable.FromCache(CalibrationCache.Parse(text)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_with_another_format_is_rejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CalibrationJson.Deserialize("{\"format\": \"x\", \"method\": \"m\"}"));
        Assert.Contains("format", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => CalibrationJson.Deserialize("not json"));
    }

    [Fact]
    public void Data_hash_does_not_depend_on_batch_order()
    {
        byte[] a = [1, 2, 3], b = [9, 8], c = [5];
        Assert.Equal(Hashing.DataHash([a, b, c]), Hashing.DataHash([c, a, b]));
        Assert.NotEqual(Hashing.DataHash([a, b]), Hashing.DataHash([a, c]));
    }

    private static CalibrationTable Sample() => new("entropy",
    [
        new TensorCalibration("input", "entropy", 1.0, CalibrationResult.ScaleOf(1.0), 1.0, 2048, 4, 1000, 0, CalibrationFlags.None),
        new TensorCalibration("conv1/out", "entropy", 0.0078451801f * 127.0, 0.0078451801f, 2.5, 2048, 4, 5000, 3, CalibrationFlags.NonFinite),
        new TensorCalibration("relu:0", "entropy", 127, 1f, 0, 2048, 4, 5000, 0, CalibrationFlags.AllZero),
    ], "model-hash", "data-hash");
}
