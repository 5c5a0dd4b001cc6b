using ILGPUInt8.Kernels.Cpu;

namespace ILGPUInt8.Layers;

/// <summary>
/// A step of the CPU backend: runs synchronously on the host over the context's tensors (host memory of the CPU
/// accelerator, NHWC), with the same formulas as the ILGPU step it replaces. Steps keep no per-run state, so contexts
/// of one engine run concurrently.
/// </summary>
internal abstract unsafe class HostStep(Engine engine, PlanNode node) : Step(engine, node)
{
    /// <inheritdoc />
    public override string KernelName => "cpu_" + base.KernelName;

    /// <summary>Elements of a tensor for a batch (one item for a constant, which is not repeated).</summary>
    public static int Elements(PlanTensor t, int batch) => checked((int)(t.Dims.Volume * (t.Constant is null ? batch : 1)));

    /// <summary>The tensor's data for a batch.</summary>
    public static Span<T> Data<T>(ExecutionContext context, PlanTensor t, int batch)
        where T : unmanaged => new(context.Pointer<T>(t, batch), Elements(t, batch));

    /// <summary>Runs <paramref name="body"/> over [0, count) in contiguous ranges, one per ~<paramref name="grain"/> items, across cores.</summary>
    public static void ForRanges(long count, long grain, Action<long, long> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        long pieces = Math.Clamp(count / Math.Max(1, grain), 1, 4L * CpuThreads.Max);
        CpuThreads.For((int)pieces, count * 16, i => body(count * i / pieces, count * (i + 1) / pieces));
    }
}
