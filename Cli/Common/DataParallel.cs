using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>What the commands do with --devices: one <see cref="DataParallelRunner"/> per engine on the devices listed.</summary>
public static class DataParallel
{
    /// <summary>A runner of <paramref name="engine"/> on every device of <paramref name="devices"/>, handing batches out by <paramref name="split"/>.</summary>
    public static DataParallelRunner Runner(Engine engine, DeviceSet devices, DataParallelSplit split = DataParallelSplit.WorkStealing)
    {
        ArgumentNullException.ThrowIfNull(devices);
        return new DataParallelRunner(engine, devices.Devices, new DataParallelOptions { Split = split });
    }

    /// <summary>The --split value as the runner's option: static, else work stealing.</summary>
    public static DataParallelSplit Split(string value) => value == "static" ? DataParallelSplit.Static : DataParallelSplit.WorkStealing;

    /// <summary>
    /// One batch of <paramref name="batch"/> items split over the runner's devices: device d of D runs the items
    /// [d·N/D, (d+1)·N/D) (none when N &lt; D for some); the outputs are joined in item order.
    /// </summary>
    public static IReadOnlyDictionary<string, float[]> RunSplit(DataParallelRunner runner, IReadOnlyDictionary<string, float[]> inputs, int batch)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(inputs);
        var engine = runner.Engine;
        var parts = runner.Devices.Count;
        var chunks = new List<IReadOnlyDictionary<string, float[]>>();
        for (var d = 0; d < parts; d++)
        {
            // Items [d·N/D, (d+1)·N/D): contiguous, sizes differing by one at most.
            var first = (int)((long)d * batch / parts);
            var end = (int)((long)(d + 1) * batch / parts);
            if (end > first)
            {
                chunks.Add(engine.Inputs.ToDictionary(b => b.Name, b => inputs[b.Name].AsSpan((int)(first * b.Dims.Volume), (int)((end - first) * b.Dims.Volume)).ToArray(), StringComparer.Ordinal));
            }
        }

        var outputs = runner.Run(chunks);
        return engine.Outputs.ToDictionary(o => o.Name, o => outputs.SelectMany(x => x[o.Name]).ToArray(), StringComparer.Ordinal);
    }
}
