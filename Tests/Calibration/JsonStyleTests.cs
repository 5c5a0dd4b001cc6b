using System.Text.Json;
using System.Text.Json.Nodes;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Tests.Cli;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

/// <summary>
/// <see cref="JsonStyle"/>: every JSON we write is snake_case with <c>schema_version</c> first; calibration tables
/// written before the field (camelCase) still read; a newer version is refused with a clear error.
/// </summary>
public sealed class JsonStyleTests
{
    [Fact]
    public void Serialize_puts_the_version_first_and_names_in_snake_case()
    {
        var json = JsonStyle.Serialize(new Row("conv1", double.PositiveInfinity, 3));
        using var document = JsonDocument.Parse(json);
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["schema_version", "tensor_name", "max_abs_error", "clipped_count"], names);
        Assert.Equal(JsonStyle.SchemaVersion, document.RootElement.GetProperty("schema_version").GetInt32());
        Assert.Equal("Infinity", document.RootElement.GetProperty("max_abs_error").GetString());
        Assert.Equal(JsonStyle.SchemaVersion, JsonStyle.VersionOf(json));
        Assert.Null(JsonStyle.VersionOf("{\"format\": 1}"));
        Assert.Null(JsonStyle.VersionOf("not json"));
        Assert.Throws<ArgumentException>(() => JsonStyle.Serialize(new[] { 1, 2 }));
    }

    [Fact]
    public void Calibration_tables_are_versioned_and_older_camel_case_tables_still_read()
    {
        var table = Sample();
        var json = CalibrationJson.Serialize(table);
        Assert.Equal(JsonStyle.SchemaVersion, JsonStyle.VersionOf(json));
        Assert.Contains("\"model_hash\": \"model-hash\"", json, StringComparison.Ordinal);
        Assert.Contains("\"trt_cache\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("modelHash", json, StringComparison.Ordinal);

        // The table as the writer before schema_version wrote it: the same record, camelCase, no version field.
        var legacy = CamelCase(JsonNode.Parse(json)!.AsObject());
        legacy.Remove("schemaVersion");
        var legacyText = legacy.ToJsonString();
        Assert.Contains("\"scaleHex\"", legacyText, StringComparison.Ordinal);
        var read = CalibrationJson.Deserialize(legacyText);
        Assert.Equal(table.Tensors, read.Tensors);
        Assert.Equal(table.ModelHash, read.ModelHash);
        Assert.Equal(table.ToCache().ToText(), CalibrationJson.EmbeddedCache(legacyText));
        Assert.Equal(table.ToCache().ToText(), CalibrationJson.EmbeddedCache(json));

        var newer = JsonNode.Parse(json)!.AsObject();
        newer["schema_version"] = JsonStyle.SchemaVersion + 1;
        var ex = Assert.Throws<InvalidDataException>(() => CalibrationJson.Deserialize(newer.ToJsonString()));
        Assert.Contains("schema_version", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_json_output_and_errors_carry_the_version()
    {
        using var info = JsonDocument.Parse(CliHarness.RunOk("info", "--json"));
        Assert.Equal("schema_version", info.RootElement.EnumerateObject().First().Name);
        Assert.Equal(JsonStyle.SchemaVersion, info.RootElement.GetProperty("schema_version").GetInt32());
        Assert.True(info.RootElement.TryGetProperty("dotnet", out _));

        using var error = JsonDocument.Parse(new CliError(2, "usage", "CliUsageException", "bad flag").ToJson());
        Assert.Equal(JsonStyle.SchemaVersion, error.RootElement.GetProperty("schema_version").GetInt32());
        Assert.True(error.RootElement.GetProperty("error").TryGetProperty("exit_code", out _));
    }

    private static JsonObject CamelCase(JsonObject o)
    {
        var result = new JsonObject();
        foreach (var (name, node) in o.ToList())
        {
            o.Remove(name);
            result[JsonNamingPolicy.CamelCase.ConvertName(string.Concat(name.Split('_').Select((w, i) => i == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..])))] = node switch
            {
                JsonObject child => CamelCase(child),
                JsonArray array => new JsonArray([.. array.ToList().Select(e => { array.Remove(e); return e is JsonObject c ? CamelCase(c) : e; })]),
                _ => node,
            };
        }

        return result;
    }

    private static CalibrationTable Sample() => new("entropy",
    [
        new TensorCalibration("input", "entropy", 1.0, CalibrationResult.ScaleOf(1.0), 1.0, 2048, 4, 1000, 0, CalibrationFlags.None),
        new TensorCalibration("conv1/out", "entropy", 0.0078451801f * 127.0, 0.0078451801f, 2.5, 2048, 4, 5000, 3, CalibrationFlags.NonFinite),
    ], "model-hash", "data-hash");

    private sealed record Row(string TensorName, double MaxAbsError, int ClippedCount);
}
