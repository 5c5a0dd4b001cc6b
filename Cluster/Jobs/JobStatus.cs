namespace ILGPUInt8.Cluster.Jobs;

/// <summary>Where a job is.</summary>
[GenerateSerializer]
public enum JobState
{
    /// <summary>Not started on this job grain (new, or its silo died and it was activated afresh).</summary>
    NotStarted,

    /// <summary>Shards are being worked on.</summary>
    Running,

    /// <summary>Every shard finished (some may have failed: <see cref="JobStatus.Failures"/>).</summary>
    Completed,

    /// <summary>The job could not run (<see cref="JobStatus.Message"/> says why).</summary>
    Failed,
}

/// <summary>A job's progress as the client sees it.</summary>
[GenerateSerializer]
[Immutable]
public sealed record JobStatus
{
    /// <summary>The state.</summary>
    [Id(0)]
    public JobState State { get; init; }

    /// <summary>The phase now (run, eval, ranges, histograms).</summary>
    [Id(1)]
    public string Phase { get; init; } = "";

    /// <summary>Shards of this phase finished (written, present or failed).</summary>
    [Id(2)]
    public int Done { get; init; }

    /// <summary>Shards in this phase.</summary>
    [Id(3)]
    public int Total { get; init; }

    /// <summary>Shard results written by this job (all phases).</summary>
    [Id(4)]
    public int Written { get; init; }

    /// <summary>Shards skipped because their result was already there.</summary>
    [Id(5)]
    public int Skipped { get; init; }

    /// <summary>Shards given to another silo after theirs failed.</summary>
    [Id(6)]
    public int Retries { get; init; }

    /// <summary>Failed shards, one line each: shard, error type and message.</summary>
    [Id(7)]
    public IReadOnlyList<string> Failures { get; init; } = [];

    /// <summary>What the job made (Completed) or why it stopped (Failed).</summary>
    [Id(8)]
    public string Message { get; init; } = "";

    /// <summary>Silos working now.</summary>
    [Id(9)]
    public int Silos { get; init; }

    /// <summary>Samples processed by this job.</summary>
    [Id(10)]
    public long Samples { get; init; }

    /// <summary>Seconds since the job started.</summary>
    [Id(11)]
    public double Seconds { get; init; }

    /// <summary>Shards finished per silo (this job).</summary>
    [Id(12)]
    public IReadOnlyDictionary<string, int> PerSilo { get; init; } = new Dictionary<string, int>();

    /// <summary>The silo running the job grain.</summary>
    [Id(13)]
    public string Host { get; init; } = "";

    /// <summary>True once the job will change no more.</summary>
    public bool Finished => State is JobState.Completed or JobState.Failed;
}
