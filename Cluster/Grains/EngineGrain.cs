using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Work;
using ILGPUInt8.Kernels.Runtime;
using Microsoft.Extensions.Hosting;

namespace ILGPUInt8.Cluster.Grains;

/// <summary>
/// <see cref="IEngineGrain"/>: checks it runs on the silo its key names (else the placement went wrong, and the caller
/// retries elsewhere), then runs the shard off Orleans' scheduler on the silo's <see cref="SiloEngines"/>. Calls are not
/// interleaved, so a silo works on one shard at a time: its device is the unit of work. The silo stopping cancels the work
/// between batches (nothing is written), and the job gives the shard to another silo.
/// </summary>
public sealed class EngineGrain(SiloEngines engines, ILocalSiloDetails silo, IHostApplicationLifetime lifetime) : Grain, IEngineGrain
{
    /// <inheritdoc />
    public async Task<ShardResult> Process(JobSpec spec, ShardTask task)
    {
        CheckPlacement();
        var name = silo.Name;
        var stopping = lifetime.ApplicationStopping;
        return await Task.Run(() => ShardExecutor.Execute(spec, task, engines, name, stopping), stopping);
    }

    /// <inheritdoc />
    public Task<string> Describe()
    {
        CheckPlacement();
        var device = Int8Device.Resolve(DeviceKind.Auto) == DeviceKind.Cuda ? "CUDA" : "CPU backend";
        return Task.FromResult($"{silo.Name} ({silo.SiloAddress}): {device}, {engines.Count} engines built");
    }

    private void CheckPlacement()
    {
        if (this.GetPrimaryKeyString() != SiloKey.Of(silo.SiloAddress))
        {
            DeactivateOnIdle();
            throw new InvalidOperationException($"The engine grain of silo {this.GetPrimaryKeyString()} was activated on {silo.SiloAddress}.");
        }
    }
}
