using System.Text.Json;
using ILGPUInt8.Calibration.IO;

namespace ILGPUInt8.Cli.Common;

/// <summary>How commands print --json and write JSON files: <see cref="JsonStyle"/> (snake_case, schema_version first).</summary>
public static class JsonOutput
{
    /// <summary>The serializer options.</summary>
    public static JsonSerializerOptions Options => JsonStyle.Options;

    /// <summary>A command's JSON text: <paramref name="value"/> with schema_version first.</summary>
    public static string Serialize(object value) => JsonStyle.Serialize(value);
}
