namespace ILGPUInt8.Cluster.Jobs;

/// <summary>What a job does with every shard.</summary>
[GenerateSerializer]
public enum JobKind
{
    /// <summary>Inference: each shard's outputs go to <c>OUT/ID.npz</c> (one .npy per network output).</summary>
    Run,

    /// <summary>FP32 and INT8 top-1 and agreement on labelled shards: <c>OUT/ID.eval.json</c>, then <c>OUT/eval.json</c>.</summary>
    Eval,

    /// <summary>Two passes (ranges, histograms) whose per-shard results merge into one table: <c>OUT/table.cache</c> and <c>OUT/table.json</c>.</summary>
    Calibrate,
}

/// <summary>
/// A job: the model, the shards and where results go, all paths every silo can read (and, for the output folder,
/// write): a shared file system in a real cluster. Immutable once submitted; its <see cref="Id"/> names the job grain.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record JobSpec
{
    /// <summary>Job id (the job grain's key); the same id resumes the same job.</summary>
    [Id(0)]
    public required string Id { get; init; }

    /// <summary>What to do.</summary>
    [Id(1)]
    public required JobKind Kind { get; init; }

    /// <summary>The ONNX model.</summary>
    [Id(2)]
    public required string Model { get; init; }

    /// <summary>Shard paths (<see cref="Shards.ShardList"/>), in order.</summary>
    [Id(3)]
    public required IReadOnlyList<string> Shards { get; init; }

    /// <summary>The output folder.</summary>
    [Id(4)]
    public required string Output { get; init; }

    /// <summary>Samples per batch.</summary>
    [Id(5)]
    public int BatchSize { get; init; } = 100;

    /// <summary>Run: INT8 (needs <see cref="Table"/> or a QDQ model) instead of FP32.</summary>
    [Id(6)]
    public bool Int8 { get; init; }

    /// <summary>INT8 ranges for Run and Eval: a calibration table (our JSON or a TensorRT cache).</summary>
    [Id(7)]
    public string? Table { get; init; }

    /// <summary>IDX pixels: x = (p / 255 − mean) / std.</summary>
    [Id(8)]
    public float NormalizeMean { get; init; }

    /// <summary>IDX pixels: x = (p / 255 − mean) / std.</summary>
    [Id(9)]
    public float NormalizeStd { get; init; } = 1f;

    /// <summary>Calibrate: entropy, minmax, percentile or mse.</summary>
    [Id(10)]
    public string Method { get; init; } = "entropy";

    /// <summary>Calibrate with percentile: p.</summary>
    [Id(11)]
    public double Percentile { get; init; } = 99.99;

    /// <summary>Attempts per shard before it is given up (silo failures; bad data fails at once).</summary>
    [Id(12)]
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Checks what can be checked without the model: kind, shards, numbers, paths; the reason it is wrong, else null.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Id) ? "the job needs an id"
        : Shards is not { Count: > 0 } ? "the job has no shards"
        : BatchSize <= 0 ? $"batch size {BatchSize} must be positive"
        : MaxAttempts <= 0 ? $"max attempts {MaxAttempts} must be positive"
        : !(NormalizeStd > 0) || !float.IsFinite(NormalizeMean) ? $"normalization ({NormalizeMean}, {NormalizeStd}) needs a finite mean and std > 0"
        : !File.Exists(Model) ? $"model '{Model}' not found"
        : Table is not null && !File.Exists(Table) ? $"calibration table '{Table}' not found"
        : Shards.FirstOrDefault(s => !File.Exists(s) && !Directory.Exists(s)) is { } missing ? $"shard '{missing}' not found"
        : string.IsNullOrWhiteSpace(Output) ? "the job needs an output folder"
        : null;
}
