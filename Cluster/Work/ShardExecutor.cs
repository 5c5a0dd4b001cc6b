using System.Diagnostics;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using ILGPUInt8.Cluster.Shards;

namespace ILGPUInt8.Cluster.Work;

/// <summary>
/// Does one <see cref="ShardTask"/> on this machine: skips it when its result file exists, else reads the shard, runs
/// the phase on the silo's engines and writes the result once. Whatever goes wrong with the shard (unreadable or
/// malformed data, samples the model cannot take) is the shard's failure, reported with the shard, the error's type and
/// its message; only cancellation (the silo stopping) escapes, so that the job gives the shard to another silo.
/// </summary>
public static class ShardExecutor
{
    /// <summary>Called before every shard's work with the silo, the task and the silo's stop token (tests slow shards down with it).</summary>
    internal static Action<string, ShardTask, CancellationToken>? BeforeShard { get; set; }

    /// <summary>Runs <paramref name="task"/> of <paramref name="spec"/> with <paramref name="engines"/>.</summary>
    public static ShardResult Execute(JobSpec spec, ShardTask task, SiloEngines engines, string silo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(engines);
        var path = JobFiles.ShardResult(spec, task);
        if (File.Exists(path))
        {
            return new ShardResult { Index = task.Index, Outcome = ShardOutcome.AlreadyPresent, Silo = silo };
        }

        var watch = Stopwatch.StartNew();
        BeforeShard?.Invoke(silo, task, cancellationToken);
        try
        {
            var (_, inputs, _) = SiloEngines.Describe(spec.Model);
            var shard = ShardInput.Load(task.Path, inputs.Count == 1 ? inputs[0] : "input", spec.BatchSize, spec.NormalizeMean, spec.NormalizeStd);
            bool written;
            switch (task.Phase)
            {
                case ShardPhase.Run:
                    {
                        using var engine = engines.Engine(spec, spec.Int8);
                        written = ShardWork.Run(engine.Value, shard, path, cancellationToken);
                        break;
                    }

                case ShardPhase.Eval:
                    {
                        using var fp32 = engines.Engine(spec, int8: false);
                        using var int8 = engines.Engine(spec, int8: true);
                        written = ShardWork.Eval(fp32.Value, int8.Value, shard, path, cancellationToken);
                        break;
                    }

                case ShardPhase.Ranges:
                    {
                        using var runner = engines.Runner(spec);
                        written = ShardWork.Ranges(runner.Value, shard, path, cancellationToken);
                        break;
                    }

                case ShardPhase.Histograms:
                    {
                        using var runner = engines.Runner(spec);
                        written = ShardWork.Histograms(runner.Value, shard, task.Ranges ?? [], path, cancellationToken);
                        break;
                    }

                default:
                    throw new ArgumentOutOfRangeException(nameof(task), task.Phase, "Unknown phase.");
            }

            return new ShardResult
            {
                Index = task.Index,
                Outcome = written ? ShardOutcome.Written : ShardOutcome.AlreadyPresent,
                Samples = shard.Samples,
                Seconds = watch.Elapsed.TotalSeconds,
                Silo = silo,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new ShardResult
            {
                Index = task.Index,
                Outcome = ShardOutcome.Failed,
                Error = $"shard {task.ShardId} ('{task.Path}'): {ex.GetType().Name}: {ex.Message}",
                Seconds = watch.Elapsed.TotalSeconds,
                Silo = silo,
            };
        }
    }
}
