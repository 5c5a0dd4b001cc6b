using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// The memory an engine and one context need, computed before anything is allocated, in checked 64-bit arithmetic:
/// weights (each layer's <see cref="Layer.WeightBytes(bool)"/>: 1 byte an INT8 weight, 4 a float, plus float biases), constants,
/// the activation arena at the maximum batch, the steps' scratch buffers (<see cref="Operator.ScratchBytes"/>: an im2col
/// matrix, a channel-padded input) and the float input and output buffers. An engine the device cannot hold,
/// or a tensor too large to index (more than 2³¹ − 1 elements at the maximum batch), is refused with the numbers
/// (<see cref="EngineMemoryException"/>) instead of failing half-way with "Out of memory." or an overflow.
/// </summary>
internal static class EngineResources
{
    /// <summary>Largest element count of one tensor (host arrays and the CPU steps index with int).</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>
    /// Bytes the engine (weights, constants) and one context (arena, step scratch, input and output buffers) need;
    /// <paramref name="host"/> for the CPU backend (its steps need no scratch buffers).
    /// </summary>
    public static (long Engine, long Context) Required(Plan plan, bool host = false)
    {
        try
        {
            checked
            {
                long weights = 0, constants = 0, io = 0;
                foreach (var node in plan.Nodes)
                {
                    weights += node.Layer.WeightBytes(node.Int8);
                }

                foreach (var t in plan.Tensors)
                {
                    if (t.Constant is not null)
                    {
                        constants += t.Dims.Volume * 4;
                        continue;
                    }

                    var elements = t.Dims.Volume * plan.MaxBatchSize;
                    if (elements > MaxElements)
                    {
                        throw new EngineMemoryException(
                            $"Tensor '{t.Name}' {t.Dims} holds {elements:N0} elements at batch {plan.MaxBatchSize:N0}, more than {MaxElements:N0}: use a smaller batch (at most {MaxElements / Math.Max(1, t.Dims.Volume):N0}).",
                            elements * 4, MaxElements * 4);
                    }

                    if (t.IsInput || t.IsOutput)
                    {
                        io += elements * 4;
                    }
                }

                return (weights + constants, plan.ArenaBytes + Scratch(plan, host) + io);
            }
        }
        catch (OverflowException ex)
        {
            throw new EngineMemoryException($"The engine's memory at batch {plan.MaxBatchSize:N0} overflows 64-bit arithmetic: use a smaller batch.", long.MaxValue, 0, ex);
        }
    }

    /// <summary>Bytes of every step's scratch buffer in one context (checked: a size that overflows throws).</summary>
    public static long Scratch(Plan plan, bool host)
    {
        long total = 0, widening = 0;
        foreach (var node in plan.Nodes)
        {
            total = checked(total + (OperatorRegistry.Find(node.Layer.Type)?.ScratchBytes(plan, node, host) ?? 0));

            // The FP16 steps' one widening buffer: the largest need (counted for every FP16 node: a step that handles
            // halves itself needs none).
            widening = Math.Max(widening, HalfIoStep.ScratchFor(plan, node));
        }

        return checked(total + widening);
    }

    /// <summary>
    /// Bytes the device can hold: the CUDA device's memory, or for the CPU backends the memory this process may use
    /// (physical memory or the container's limit, as the GC sees it).
    /// </summary>
    public static long Available(Int8Device device) =>
        device.IsCuda ? device.Accelerator.MemorySize : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Throws <see cref="EngineMemoryException"/> when the engine and one context do not fit the device.</summary>
    public static void Check(Plan plan, Int8Device device, bool host = false)
    {
        var (engine, context) = Required(plan, host);
        var available = Available(device);
        var total = engine > long.MaxValue - context ? long.MaxValue : engine + context;
        if (total > available)
        {
            throw new EngineMemoryException(
                $"The engine needs {Mib(total)} (weights and constants {Mib(engine)}, activations, step scratch and inputs/outputs at batch {plan.MaxBatchSize:N0} {Mib(context)}) but {(device.IsCuda ? "the device" : "this machine")} has {Mib(available)}: use a smaller batch.",
                total, available);
        }
    }

    /// <summary>Runs an allocation, turning out-of-memory failures (managed or the accelerator's) into <see cref="EngineMemoryException"/>.</summary>
    public static T Allocating<T>(string what, long bytes, Func<T> allocate)
    {
        try
        {
            return allocate();
        }
        catch (Exception ex) when (ex is OutOfMemoryException or ILGPU.Runtime.AcceleratorException)
        {
            throw new EngineMemoryException($"Allocating {what} ({Mib(bytes)}) failed: {ex.Message}", bytes, 0, ex);
        }
    }

    private static string Mib(long bytes) => bytes == long.MaxValue ? "more than 8 EiB" : $"{bytes / (1024.0 * 1024.0):N1} MiB";
}

/// <summary>An engine or context does not fit the device's memory, or a size overflows; the message gives the numbers.</summary>
public sealed class EngineMemoryException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public EngineMemoryException(string message, long requiredBytes, long availableBytes, Exception? inner = null)
        : base(message, inner)
    {
        RequiredBytes = requiredBytes;
        AvailableBytes = availableBytes;
    }

    /// <summary>Bytes needed.</summary>
    public long RequiredBytes { get; }

    /// <summary>Bytes the device has (0 when unknown).</summary>
    public long AvailableBytes { get; }
}
