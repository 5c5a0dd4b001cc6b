using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Work;
using ILGPUInt8.Kernels.Runtime;
using Microsoft.Extensions.Hosting;

namespace ILGPUInt8.Cluster.Grains;

/// <summary>
/// <see cref="IEngineGrain"/>: checks it runs on the silo its key names (else the placement went wrong, and the caller
/// retries elsewhere), then runs the shard off Orleans' scheduler (on a thread of its own) on the silo's <see cref="SiloEngines"/>. Calls are not
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
        // A thread of its own (the shard blocks it for seconds), so the pool's threads stay free for the engine's
        // parallel loops and Orleans' messaging.
        return await Task.Factory.StartNew(() => ShardExecutor.Execute(spec, task, engines, name, stopping), stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);
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
