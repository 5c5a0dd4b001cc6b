using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ILGPUInt8.Cli.Common;

/// <summary>How commands print --json: indented, ±Infinity and NaN as strings, text as written (no \u0027 for ').</summary>
public static class JsonOutput
{
    /// <summary>The serializer options.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
