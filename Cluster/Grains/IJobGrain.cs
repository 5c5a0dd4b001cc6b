using ILGPUInt8.Cluster.Jobs;

namespace ILGPUInt8.Cluster.Grains;

/// <summary>A job over shards, keyed by <see cref="JobSpec.Id"/>: it hands shards to the silos' engine grains and merges their results.</summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the job unless it is running (then: its status). A finished job starts again: shards whose results exist are
    /// skipped, so a rerun does only what is missing.
    /// </summary>
    Task<JobStatus> Start(JobSpec spec);

    /// <summary>The job's progress (<see cref="JobState.NotStarted"/> on a fresh activation, e.g. after its silo died).</summary>
    Task<JobStatus> Status();
}
