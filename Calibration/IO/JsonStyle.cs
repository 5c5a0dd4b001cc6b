using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ILGPUInt8.Calibration.IO;

/// <summary>
/// The one style of every JSON the library, the CLI and the benchmarks write (calibration tables and reports, --json
/// output, --export-times / --export-profile, layer info, perf.json, engine profiles, cluster records): property names
/// in snake_case (what most writers already used), indented, ±Infinity and NaN as strings, text as written (no \u0027),
/// and a top-level <c>schema_version</c> (<see cref="SchemaVersion"/>) first. Readers accept files without it (written
/// before it existed) in the style they had then.
/// </summary>
public static class JsonStyle
{
    /// <summary>The value of <c>schema_version</c>: 1 is the snake_case style introduced with the field.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The name of the version field.</summary>
    public const string SchemaVersionField = "schema_version";

    /// <summary>The serializer options of the style.</summary>
    public static JsonSerializerOptions Options { get; } = Create(ignoreNulls: false);

    /// <summary>Options of the style; <paramref name="ignoreNulls"/> leaves null properties out.</summary>
    public static JsonSerializerOptions Create(bool ignoreNulls)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Converters = { new JsonStringEnumConverter() },
        };
        if (ignoreNulls)
        {
            options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        }

        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// <paramref name="value"/> (an object: anonymous, record or dictionary) as JSON text of the style with
    /// <c>schema_version</c> as its first property.
    /// </summary>
    public static string Serialize(object value, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        options ??= Options;
        if (JsonSerializer.SerializeToNode(value, value.GetType(), options) is not JsonObject body)
        {
            throw new ArgumentException($"A {value.GetType().Name} is not written as a JSON object.", nameof(value));
        }

        var document = new JsonObject { [SchemaVersionField] = SchemaVersion };
        foreach (var (name, node) in body.ToList())
        {
            body.Remove(name);
            if (name != SchemaVersionField)
            {
                document[name] = node;
            }
        }

        return document.ToJsonString(options);
    }

    /// <summary>The <c>schema_version</c> of a JSON document's root object, or null when it has none (an older file).</summary>
    public static int? VersionOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(SchemaVersionField, out var v)
                && v.TryGetInt32(out var version) ? version : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
