namespace ILGPUInt8.Cluster.Jobs;

/// <summary>One step a shard goes through.</summary>
[GenerateSerializer]
public enum ShardPhase
{
    /// <summary>Inference (<see cref="JobKind.Run"/>).</summary>
    Run,

    /// <summary>FP32 and INT8 predictions (<see cref="JobKind.Eval"/>).</summary>
    Eval,

    /// <summary>Calibration pass 1: every tensor's finite |x| range and the batch hashes.</summary>
    Ranges,

    /// <summary>Calibration pass 2: every tensor's histogram over the merged ranges.</summary>
    Histograms,
}

/// <summary>A tensor's merged finite |x| range (calibration pass 1 over every shard).</summary>
[GenerateSerializer]
[Immutable]
public sealed record TensorRange
{
    /// <summary>Tensor name.</summary>
    [Id(0)]
    public required string Name { get; init; }

    /// <summary>Largest finite |x| (0 when there was none).</summary>
    [Id(1)]
    public required float Amax { get; init; }

    /// <summary>Smallest finite |x| (+Inf when there was none).</summary>
    [Id(2)]
    public required float MinAbs { get; init; }
}

/// <summary>One shard's work in one phase, as the job hands it to a silo.</summary>
[GenerateSerializer]
[Immutable]
public sealed record ShardTask
{
    /// <summary>Position of the shard in the job.</summary>
    [Id(0)]
    public required int Index { get; init; }

    /// <summary>The shard's path.</summary>
    [Id(1)]
    public required string Path { get; init; }

    /// <summary>The phase.</summary>
    [Id(2)]
    public required ShardPhase Phase { get; init; }

    /// <summary>Histograms: the merged ranges of every tensor.</summary>
    [Id(3)]
    public IReadOnlyList<TensorRange>? Ranges { get; init; }

    /// <summary>The shard's id (<see cref="Shards.ShardList.Id"/>).</summary>
    public string ShardId => Shards.ShardList.Id(Index, Path);
}

/// <summary>How a shard's phase ended.</summary>
[GenerateSerializer]
public enum ShardOutcome
{
    /// <summary>This attempt wrote the result file.</summary>
    Written,

    /// <summary>The result file was already there (an earlier run, or another attempt won): nothing written.</summary>
    AlreadyPresent,

    /// <summary>The shard's data (or the work on it) failed; <see cref="ShardResult.Error"/> says why. Not retried.</summary>
    Failed,
}

/// <summary>What a silo reports for one <see cref="ShardTask"/>.</summary>
[GenerateSerializer]
[Immutable]
public sealed record ShardResult
{
    /// <summary>Position of the shard in the job.</summary>
    [Id(0)]
    public required int Index { get; init; }

    /// <summary>The outcome.</summary>
    [Id(1)]
    public required ShardOutcome Outcome { get; init; }

    /// <summary>For <see cref="ShardOutcome.Failed"/>: the shard, the error's type and message.</summary>
    [Id(2)]
    public string? Error { get; init; }

    /// <summary>Samples processed (0 when skipped).</summary>
    [Id(3)]
    public int Samples { get; init; }

    /// <summary>Seconds the work took on the silo.</summary>
    [Id(4)]
    public double Seconds { get; init; }

    /// <summary>The silo that did it.</summary>
    [Id(5)]
    public string Silo { get; init; } = "";
}
