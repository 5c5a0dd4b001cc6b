using System.Diagnostics;
using ILGPUInt8.Cluster.Jobs;
using Orleans.Concurrency;
using Orleans.Runtime.Placement;

namespace ILGPUInt8.Cluster.Grains;

/// <summary>
/// <see cref="IJobGrain"/>: runs <see cref="JobRunner"/> with a scheduler that keeps every active silo busy with one
/// shard. Every half second, and whenever a call ends, it reads the cluster's membership: a shard whose silo left (declared
/// dead) or whose call failed goes back into the queue for another silo, up to <see cref="JobSpec.MaxAttempts"/> attempts;
/// silos that join get work at once. A shard's own failure (bad data) is final. Reentrant, so that status calls are
/// answered while the job awaits its shards.
/// </summary>
[Reentrant]
public sealed class JobGrain(IClusterMembershipService membership, IGrainFactory grains, ILocalSiloDetails local) : Grain, IJobGrain
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan NoSiloLimit = TimeSpan.FromMinutes(2);
    private JobSpec? _spec;
    private JobProgress? _progress;
    private Task? _run;

    /// <inheritdoc />
    public Task<JobStatus> Start(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_run is { IsCompleted: false })
        {
            return Status();
        }

        _spec = spec;
        _progress = new JobProgress();
        DelayDeactivation(TimeSpan.FromDays(7));
        _run = JobRunner.RunAsync(spec, Dispatch, _progress);
        return Status();
    }

    /// <inheritdoc />
    public Task<JobStatus> Status() =>
        Task.FromResult((_progress?.Snapshot() ?? new JobStatus { State = JobState.NotStarted }) with { Host = local.Name });

    private async Task<IReadOnlyList<ShardResult>> Dispatch(IReadOnlyList<ShardTask> tasks, JobProgress progress)
    {
        var spec = _spec!;
        var pending = new Queue<(ShardTask Task, int Attempts)>(tasks.Select(t => (t, 0)));
        var running = new Dictionary<SiloAddress, (Task<ShardResult> Call, ShardTask Task, int Attempts)>();
        var results = new List<ShardResult>();
        // How long no silo has run a shard: a monotonic clock (a wall-clock jump must not fail the pending shards).
        var lonely = Stopwatch.StartNew();

        void Requeue(ShardTask task, int attempts, string why)
        {
            if (attempts >= spec.MaxAttempts)
            {
                var error = $"shard {task.ShardId} ('{task.Path}'): gave up after {attempts} attempts: {why}";
                results.Add(new ShardResult { Index = task.Index, Outcome = ShardOutcome.Failed, Error = error });
                progress.Retried(error);
            }
            else
            {
                pending.Enqueue((task, attempts));
                progress.Retried(null);
            }
        }

        while (pending.Count > 0 || running.Count > 0)
        {
            var active = ActiveSilos();
            progress.SetSilos(active.Count);
            foreach (var (silo, run) in running.Where(r => !active.Contains(r.Key)).ToList())
            {
                // The silo left the cluster: its call is abandoned (if it still finishes, its file is written once anyway).
                running.Remove(silo);
                Requeue(run.Task, run.Attempts, $"silo {silo} left the cluster");
            }

            foreach (var silo in active.Where(s => !running.ContainsKey(s)).ToList())
            {
                if (!pending.TryDequeue(out var next))
                {
                    break;
                }

                running[silo] = (Call(spec, silo, next.Task), next.Task, next.Attempts + 1);
            }

            if (running.Count == 0)
            {
                if (lonely.Elapsed > NoSiloLimit)
                {
                    while (pending.TryDequeue(out var left))
                    {
                        Requeue(left.Task, spec.MaxAttempts, $"no active silo for {NoSiloLimit.TotalMinutes} minutes");
                    }
                }

                await Task.Delay(Tick);
                continue;
            }

            lonely.Restart();
            await Task.WhenAny(running.Values.Select(r => (Task)r.Call).Append(Task.Delay(Tick)));
            foreach (var (silo, run) in running.Where(r => r.Value.Call.IsCompleted).ToList())
            {
                running.Remove(silo);
                if (run.Call.IsCompletedSuccessfully)
                {
                    results.Add(run.Call.Result);
                    progress.Finished(run.Call.Result);
                }
                else
                {
                    Requeue(run.Task, run.Attempts, $"silo {silo}: {run.Call.Exception?.GetBaseException().Message ?? "cancelled"}");
                }
            }
        }

        return results;
    }

    private HashSet<SiloAddress> ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress)];

    private Task<ShardResult> Call(JobSpec spec, SiloAddress silo, ShardTask task)
    {
        // The hint activates the silo's engine grain on that silo (it stays there: the key names the silo).
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try
        {
            return grains.GetGrain<IEngineGrain>(SiloKey.Of(silo)).Process(spec, task);
        }
        catch (Exception ex)
        {
            return Task.FromException<ShardResult>(ex);
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }
}
