using System.Text.Json;
using System.Text.Json.Serialization;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Methods;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// The richer calibration record as JSON: format tag, method, model and data hashes, and per tensor method, amax,
/// threshold, scale (also as TensorRT hex), bins, batches, counts and flags; the preprocessing of the calibration data,
/// the warnings, and the exact text of the TensorRT cache written beside it (<c>trt_cache</c>), so a reader can tell a
/// cache of the same write from one of another (<see cref="CalibrationTablePair"/>). Reading checks the format tag,
/// that the table is not empty and its thresholds sane (<see cref="CalibrationTable.CheckSane"/>), that each
/// <c>scale_hex</c> and the embedded cache agree with the scales and, when a model is given, the names and the model hash
/// (<see cref="CalibrationTable.Validate"/>). Written in <see cref="JsonStyle"/> (snake_case, <c>schema_version</c>);
/// files without <c>schema_version</c> are the older camelCase ones and are read as such.
/// </summary>
public static class CalibrationJson
{
    /// <summary>Value of the "format" field.</summary>
    public const string Format = "ilgpu-int8-calibration/1";

    private static readonly JsonSerializerOptions Options = JsonStyle.Create(ignoreNulls: true);

    // Tables written before schema_version: camelCase names.
    private static readonly JsonSerializerOptions Legacy = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The JSON text of a table.</summary>
    public static string Serialize(CalibrationTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var document = new Document(JsonStyle.SchemaVersion, Format, table.Method, table.ModelHash, table.DataHash,
            [.. table.Tensors.Select(t => new Entry(t.Name, t.Method, t.Amax, t.Threshold, t.Scale, CalibrationCache.ToHex(t.Scale), t.Bins, t.Batches, t.Count, t.NonFinite, t.Flags))],
            table.Preprocessing?.ToText(), table.Warnings.Count > 0 ? [.. table.Warnings] : null, table.ToCache().ToText());
        return JsonSerializer.Serialize(document, Options);
    }

    /// <summary>Writes the JSON file (atomically: <see cref="AtomicFile"/>).</summary>
    public static void Write(string path, CalibrationTable table) => AtomicFile.WriteAllText(path, Serialize(table));

    /// <summary>Reads a JSON file and, when <paramref name="model"/> is given, checks it against the model.</summary>
    public static CalibrationTable Read(string path, ModelSignature? model = null) => Deserialize(File.ReadAllText(path), model, path);

    /// <summary>Parses JSON text; <paramref name="source"/> names it in errors.</summary>
    public static CalibrationTable Deserialize(string json, ModelSignature? model = null, string source = "calibration JSON")
    {
        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, OptionsFor(json));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not a calibration JSON ({ex.Message}).", ex);
        }

        if (document is null || document.Format != Format)
        {
            throw new InvalidDataException($"{source}: format '{document?.Format}' is not '{Format}'.");
        }

        if (document.SchemaVersion is > JsonStyle.SchemaVersion)
        {
            throw new InvalidDataException($"{source}: schema_version {document.SchemaVersion} is newer than this library reads ({JsonStyle.SchemaVersion}).");
        }

        CalibrationTable table;
        try
        {
            var preprocessing = document.Preprocessing is { } p ? Preprocessing.Parse(p) : null;
            table = new CalibrationTable(document.Method ?? throw new InvalidDataException($"{source}: no method."), (document.Tensors ?? []).Select(e =>
                e is null || e.Name is null || e.Method is null ? throw new InvalidDataException($"{source}: a tensor entry lacks its name or method.")
                : new TensorCalibration(e.Name, e.Method, e.Threshold, e.Scale, e.Amax, e.Bins, e.Batches, e.Count, e.NonFinite, e.Flags)),
                document.ModelHash, document.DataHash, preprocessing)
            { Warnings = [.. (document.Warnings ?? []).OfType<string>()] };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }

        table.CheckSane(source);
        foreach (var e in document.Tensors!.OfType<Entry>())
        {
            if (e.ScaleHex is { } hex && !string.Equals(hex, CalibrationCache.ToHex(e.Scale), StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{source}: tensor '{e.Name}' has scale {e.Scale:R} but scale_hex {hex} ({CalibrationCache.ToHex(e.Scale)} expected).");
            }
        }

        if (document.TrtCache is { } cache && cache != table.ToCache().ToText())
        {
            throw new InvalidDataException($"{source}: the embedded TensorRT cache (trt_cache) differs from the tensors' scales.");
        }

        if (model is not null)
        {
            table.Validate(model, source);
        }

        return table;
    }

    /// <summary>The TensorRT cache text embedded in a JSON table (null when the JSON has none, or is not ours).</summary>
    public static string? EmbeddedCache(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Document>(json, OptionsFor(json))?.TrtCache;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonSerializerOptions OptionsFor(string json) => JsonStyle.VersionOf(json) is null ? Legacy : Options;

    private sealed record Document(int? SchemaVersion, string Format, string? Method, string? ModelHash, string? DataHash, List<Entry?>? Tensors,
        string? Preprocessing = null, List<string?>? Warnings = null, string? TrtCache = null);

    private sealed record Entry(
        string? Name,
        string? Method,
        double? Amax,
        double Threshold,
        float Scale,
        string? ScaleHex,
        int Bins,
        int Batches,
        long Count,
        long NonFinite,
        CalibrationFlags Flags);
}
