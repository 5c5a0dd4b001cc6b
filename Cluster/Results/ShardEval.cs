using System.Text.Json;
using System.Text.Json.Serialization;

namespace ILGPUInt8.Cluster.Results;

/// <summary>Eval of one shard: counts, and every sample's label and classes (to find the FP32/INT8 disagreements).</summary>
public sealed record ShardEval
{
    /// <summary>The JSON form: snake_case names, indented.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    /// <summary>Samples.</summary>
    public int Samples { get; init; }

    /// <summary>Samples the FP32 engine classed as labelled.</summary>
    public int Fp32Correct { get; init; }

    /// <summary>Samples the INT8 engine classed as labelled.</summary>
    public int Int8Correct { get; init; }

    /// <summary>Samples both engines put in the same class.</summary>
    public int Agree { get; init; }

    /// <summary>Labels.</summary>
    public int[] Labels { get; init; } = [];

    /// <summary>FP32 classes.</summary>
    [JsonPropertyName("fp32_classes")]
    public int[] Fp32Classes { get; init; } = [];

    /// <summary>INT8 classes.</summary>
    [JsonPropertyName("int8_classes")]
    public int[] Int8Classes { get; init; } = [];

    /// <summary>Reads a shard's eval file.</summary>
    public static ShardEval Read(string path) =>
        JsonSerializer.Deserialize<ShardEval>(File.ReadAllText(path), JsonOptions) ?? throw new InvalidDataException($"'{path}' is not a shard eval file.");
}
