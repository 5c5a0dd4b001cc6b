using ILGPUInt8.Cluster.Jobs;

namespace ILGPUInt8.Cluster.Results;

/// <summary>
/// Where a job's results live in its output folder:
/// <code>
/// OUT/ID.npz                                 run: the shard's outputs, one .npy per network output
/// OUT/ID.eval.json                           eval: the shard's FP32 and INT8 classes and counts
/// OUT/calibration/ranges/ID.ranges           calibrate pass 1: the shard's ranges and batch hashes
/// OUT/calibration/histograms-KEY/ID.hist     calibrate pass 2: the shard's histograms over the merged ranges KEY
/// OUT/calibration/merged.hist              calibrate: the summed histograms the table was chosen from
/// OUT/eval.json, OUT/table.json, OUT/table.cache, OUT/job.json    the job's merged results and its record
/// </code>
/// A shard's file exists only once it is complete (<see cref="AtomicFile"/>), so a rerun skips every shard whose file is there.
/// </summary>
public static class JobFiles
{
    /// <summary>The result file of <paramref name="task"/> in job <paramref name="spec"/>.</summary>
    public static string ShardResult(JobSpec spec, ShardTask task)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(task);
        var id = task.ShardId;
        return task.Phase switch
        {
            ShardPhase.Run => Path.Combine(spec.Output, id + ".npz"),
            ShardPhase.Eval => Path.Combine(spec.Output, id + ".eval.json"),
            ShardPhase.Ranges => Path.Combine(spec.Output, "calibration", "ranges", id + ".ranges"),
            ShardPhase.Histograms => Path.Combine(spec.Output, "calibration", "histograms-" + RangeFile.Key(task.Ranges ?? []), id + ".hist"),
            _ => throw new ArgumentOutOfRangeException(nameof(task), task.Phase, "Unknown phase."),
        };
    }

    /// <summary>The job's record: its spec, counts and failures (<c>OUT/job.json</c>).</summary>
    public static string Record(JobSpec spec) => Path.Combine(spec.Output, "job.json");

    /// <summary>Eval: the merged counts (<c>OUT/eval.json</c>).</summary>
    public static string EvalSummary(JobSpec spec) => Path.Combine(spec.Output, "eval.json");

    /// <summary>Calibrate: the table as our JSON (<c>OUT/table.json</c>).</summary>
    public static string TableJson(JobSpec spec) => Path.Combine(spec.Output, "table.json");

    /// <summary>Calibrate: the histograms of every shard summed, the table's source (<c>OUT/calibration/merged.hist</c>).</summary>
    public static string MergedHistograms(JobSpec spec) => Path.Combine(spec.Output, "calibration", "merged.hist");

    /// <summary>Calibrate: the table as a TensorRT cache (<c>OUT/table.cache</c>).</summary>
    public static string TableCache(JobSpec spec) => Path.Combine(spec.Output, "table.cache");
}
