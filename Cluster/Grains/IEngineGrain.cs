using ILGPUInt8.Cluster.Jobs;

namespace ILGPUInt8.Cluster.Grains;

/// <summary>
/// The engines of one silo: keyed by the silo's address (<see cref="SiloKey"/>) and activated on that silo (the caller sets
/// Orleans' placement hint), it runs one shard at a time on the silo's device with the silo's cached engines.
/// </summary>
public interface IEngineGrain : IGrainWithStringKey
{
    /// <summary>Does one shard's phase; a shard's own failure comes back as <see cref="ShardOutcome.Failed"/>, a silo's as an exception.</summary>
    Task<ShardResult> Process(JobSpec spec, ShardTask task);

    /// <summary>The silo, its device and how many engines it holds.</summary>
    Task<string> Describe();
}

/// <summary>The key of a silo's engine grain.</summary>
public static class SiloKey
{
    /// <summary>The silo's parsable address.</summary>
    public static string Of(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return silo.ToParsableString();
    }
}
