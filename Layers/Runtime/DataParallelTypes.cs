using ILGPUInt8.Kernels.Cpu;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>How a <see cref="DataParallelRunner"/> hands batches to its devices.</summary>
public enum DataParallelSplit
{
    /// <summary>
    /// Device d of N runs the contiguous batches [d·B/N, (d+1)·B/N) of B: no coordination, best when the devices are
    /// alike and the batches are of one size.
    /// </summary>
    Static,

    /// <summary>Each device takes the next batch not yet taken when it has room for one: a faster device runs more batches.</summary>
    WorkStealing,
}

/// <summary>Options of a <see cref="DataParallelRunner"/>.</summary>
public sealed record DataParallelOptions
{
    /// <summary>How batches are spread (default: work stealing).</summary>
    public DataParallelSplit Split { get; init; } = DataParallelSplit.WorkStealing;

    /// <summary>Batches in flight per CUDA device with single-input, single-output engines (<see cref="PipelinedRunner{TInput}"/> slots).</summary>
    public int PipelineDepth { get; init; } = PipelinedRunner<float>.DefaultDepth;

    /// <summary>The CPU backend's instruction-set variant on CPU devices (default: the engine's own, else the best supported).</summary>
    public CpuIsa? CpuIsa { get; init; }

    /// <summary>Called on a device's thread before it runs a batch (device index, batch index): the tests' way to make one device fail.</summary>
    internal Action<int, int>? BeforeBatch { get; init; }
}

/// <summary>What one device did in a data-parallel run.</summary>
/// <param name="Index">The device's position in the runner's list.</param>
/// <param name="Device">The device's name (<c>cuda:1 (NVIDIA H200)</c>, <c>cpu (CPU accelerator)</c>).</param>
/// <param name="Batches">Batches it completed.</param>
/// <param name="Items">Items (images) it completed.</param>
/// <param name="Seconds">Wall time of its thread, first batch to last output.</param>
public sealed record DeviceRunStats(int Index, string Device, long Batches, long Items, double Seconds)
{
    /// <summary>Items per second on this device: items / seconds.</summary>
    public double ItemsPerSecond => Seconds > 0 ? Items / Seconds : 0;
}

/// <summary>A finished data-parallel run: each device's share and the whole.</summary>
/// <param name="Devices">Per device, in the runner's order.</param>
/// <param name="Batches">Batches run.</param>
/// <param name="Items">Items run.</param>
/// <param name="Seconds">Wall time of the run (all devices together).</param>
public sealed record DataParallelRunStats(IReadOnlyList<DeviceRunStats> Devices, long Batches, long Items, double Seconds)
{
    /// <summary>Items per second of all devices together: items / wall seconds.</summary>
    public double ItemsPerSecond => Seconds > 0 ? Items / Seconds : 0;
}

/// <summary>
/// One or more devices of a <see cref="DataParallelRunner"/> failed. The message names each failed device (spec and
/// accelerator) and its error, and says what completed; <see cref="Completed"/> holds the outputs that did (null where a
/// batch did not), so the other devices' work is not lost.
/// </summary>
public sealed class DataParallelException : Exception
{
    /// <summary>An exception with a message only (no partial results).</summary>
    public DataParallelException()
        : this("A data-parallel run failed.")
    {
    }

    /// <summary>An exception with a message only (no partial results).</summary>
    public DataParallelException(string message)
        : this(message, null)
    {
    }

    /// <summary>An exception with a message and an inner exception (no partial results).</summary>
    public DataParallelException(string message, Exception? innerException)
        : base(message, innerException)
    {
        FailedDevices = [];
        Completed = [];
        Stats = new DataParallelRunStats([], 0, 0, 0);
    }

    internal DataParallelException(string message, IReadOnlyList<string> failedDevices, IReadOnlyList<IReadOnlyDictionary<string, float[]>?> completed, DataParallelRunStats stats, Exception innerException)
        : base(message, innerException)
    {
        FailedDevices = failedDevices;
        Completed = completed;
        Stats = stats;
    }

    /// <summary>The failed devices' names, e.g. <c>cuda:1 (NVIDIA H200)</c>.</summary>
    public IReadOnlyList<string> FailedDevices { get; }

    /// <summary>Each batch's outputs by name where it completed, null where it did not, in input order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, float[]>?> Completed { get; }

    /// <summary>What each device completed before the run ended.</summary>
    public DataParallelRunStats Stats { get; }
}
