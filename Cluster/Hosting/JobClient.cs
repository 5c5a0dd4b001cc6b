using ILGPUInt8.Cluster.Grains;
using ILGPUInt8.Cluster.Jobs;

namespace ILGPUInt8.Cluster.Hosting;

/// <summary>
/// Submits a job and follows it until it ends, reporting its status after every poll. When the job grain is lost with
/// its silo, the next call activates it afresh (<see cref="JobState.NotStarted"/>) and the client starts the job again:
/// the results already written are skipped, so nothing is done twice.
/// </summary>
public static class JobClient
{
    /// <summary>Calls in a row that may fail (silo lost, cluster reshuffling) before the client gives up.</summary>
    public const int MaxFailedPolls = 120;

    /// <summary>Runs <paramref name="spec"/> on the cluster behind <paramref name="grains"/>; the final status.</summary>
    public static async Task<JobStatus> RunAsync(IGrainFactory grains, JobSpec spec, IProgress<JobStatus>? progress = null, TimeSpan? poll = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(spec);
        var interval = poll ?? TimeSpan.FromMilliseconds(250);
        var job = grains.GetGrain<IJobGrain>(spec.Id);
        var failures = 0;
        var status = new JobStatus { State = JobState.NotStarted };
        while (true)
        {
            try
            {
                status = status.State == JobState.NotStarted ? await job.Start(spec) : await job.Status();
                failures = 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (++failures > MaxFailedPolls)
                {
                    throw new TimeoutException($"The cluster did not answer for job '{spec.Id}' ({failures} calls in a row failed, the last: {ex.Message}).", ex);
                }

                status = status with { State = status.State == JobState.Running ? JobState.Running : JobState.NotStarted };
            }

            progress?.Report(status);
            if (status.Finished)
            {
                return status;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }
}
