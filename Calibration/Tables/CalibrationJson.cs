using System.Text.Json;
using System.Text.Json.Serialization;
using ILGPUInt8.Calibration.Methods;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// The richer calibration record as JSON: format tag, method, model and data hashes, and per tensor method, amax,
/// threshold, scale (also as TensorRT hex), bins, batches, counts and flags. Reading checks the format tag and,
/// when a model is given, the names and the model hash (<see cref="CalibrationTable.Validate"/>).
/// </summary>
public static class CalibrationJson
{
    /// <summary>Value of the "format" field.</summary>
    public const string Format = "ilgpu-int8-calibration/1";

    private static readonly JsonSerializerOptions Options = new()
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
        var document = new Document(Format, table.Method, table.ModelHash, table.DataHash,
            [.. table.Tensors.Select(t => new Entry(t.Name, t.Method, t.Amax, t.Threshold, t.Scale, CalibrationCache.ToHex(t.Scale), t.Bins, t.Batches, t.Count, t.NonFinite, t.Flags))]);
        return JsonSerializer.Serialize(document, Options);
    }

    /// <summary>Writes the JSON file.</summary>
    public static void Write(string path, CalibrationTable table) => File.WriteAllText(path, Serialize(table));

    /// <summary>Reads a JSON file and, when <paramref name="model"/> is given, checks it against the model.</summary>
    public static CalibrationTable Read(string path, ModelSignature? model = null) => Deserialize(File.ReadAllText(path), model, path);

    /// <summary>Parses JSON text; <paramref name="source"/> names it in errors.</summary>
    public static CalibrationTable Deserialize(string json, ModelSignature? model = null, string source = "calibration JSON")
    {
        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not a calibration JSON ({ex.Message}).", ex);
        }

        if (document is null || document.Format != Format)
        {
            throw new InvalidDataException($"{source}: format '{document?.Format}' is not '{Format}'.");
        }

        CalibrationTable table;
        try
        {
            table = new CalibrationTable(document.Method, (document.Tensors ?? []).Select(e =>
                new TensorCalibration(e.Name, e.Method, e.Threshold, e.Scale, e.Amax, e.Bins, e.Batches, e.Count, e.NonFinite, e.Flags)),
                document.ModelHash, document.DataHash);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }

        if (model is not null)
        {
            table.Validate(model, source);
        }

        return table;
    }

    private sealed record Document(string Format, string Method, string? ModelHash, string? DataHash, List<Entry>? Tensors);

    private sealed record Entry(
        string Name,
        string Method,
        double? Amax,
        double Threshold,
        float Scale,
        string ScaleHex,
        int Bins,
        int Batches,
        long Count,
        long NonFinite,
        CalibrationFlags Flags);
}
