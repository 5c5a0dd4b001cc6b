using ILGPUInt8.Cluster.Jobs;

namespace ILGPUInt8.Cluster.Work;

/// <summary>
/// A job on this machine alone, without Orleans: the same shard work and merging as the cluster (<see cref="JobRunner"/>),
/// the shards one after another on this process's device. The single-machine baseline the cluster is compared with.
/// </summary>
public static class LocalJob
{
    /// <summary>Runs <paramref name="spec"/> with <paramref name="engines"/>, reporting progress after every shard.</summary>
    public static Task<JobStatus> RunAsync(JobSpec spec, SiloEngines engines, IProgress<JobStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engines);
        var counts = new JobProgress();
        counts.SetSilos(1);
        return JobRunner.RunAsync(spec, (tasks, p) => Task.Run<IReadOnlyList<ShardResult>>(() =>
        {
            var results = new List<ShardResult>();
            foreach (var task in tasks)
            {
                var result = ShardExecutor.Execute(spec, task, engines, "local", cancellationToken);
                results.Add(result);
                p.Finished(result);
                progress?.Report(p.Snapshot());
            }

            return results;
        }, cancellationToken), counts);
    }
}
