using System.Diagnostics;

namespace ILGPUInt8.Cluster.Jobs;

/// <summary>The running count of a job, turned into <see cref="JobStatus"/> snapshots. Thread-safe.</summary>
public sealed class JobProgress
{
    private readonly Lock _lock = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly List<string> _failures = [];
    private readonly Dictionary<string, int> _perSilo = new(StringComparer.Ordinal);
    private JobState _state = JobState.Running;
    private string _phase = "";
    private string _message = "";
    private int _done, _total, _written, _skipped, _retries, _silos;
    private long _samples;

    /// <summary>Starts a phase of <paramref name="total"/> shards.</summary>
    public void StartPhase(string phase, int total)
    {
        lock (_lock)
        {
            (_phase, _total, _done) = (phase, total, 0);
        }
    }

    /// <summary>Counts a finished shard.</summary>
    public void Finished(ShardResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_lock)
        {
            _done++;
            _samples += result.Samples;
            _perSilo[result.Silo] = _perSilo.GetValueOrDefault(result.Silo) + 1;
            switch (result.Outcome)
            {
                case ShardOutcome.Written:
                    _written++;
                    break;
                case ShardOutcome.AlreadyPresent:
                    _skipped++;
                    break;
                default:
                    _failures.Add(result.Error ?? $"shard {result.Index}: failed");
                    break;
            }
        }
    }

    /// <summary>Counts a shard given up on a silo that failed and queued again (or, past its attempts, failed).</summary>
    public void Retried(string? givenUp)
    {
        lock (_lock)
        {
            _retries++;
            if (givenUp is not null)
            {
                _done++;
                _failures.Add(givenUp);
            }
        }
    }

    /// <summary>The number of silos working.</summary>
    public void SetSilos(int silos)
    {
        lock (_lock)
        {
            _silos = silos;
        }
    }

    /// <summary>Ends the job.</summary>
    public void End(JobState state, string message)
    {
        lock (_lock)
        {
            (_state, _message) = (state, message);
            _watch.Stop();
        }
    }

    /// <summary>The status now.</summary>
    public JobStatus Snapshot()
    {
        lock (_lock)
        {
            return new JobStatus
            {
                State = _state,
                Phase = _phase,
                Done = _done,
                Total = _total,
                Written = _written,
                Skipped = _skipped,
                Retries = _retries,
                Failures = [.. _failures],
                Message = _message,
                Silos = _silos,
                Samples = _samples,
                Seconds = _watch.Elapsed.TotalSeconds,
                PerSilo = new Dictionary<string, int>(_perSilo, StringComparer.Ordinal),
            };
        }
    }
}
