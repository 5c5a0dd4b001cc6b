using ILGPUInt8.Kernels.Cpu;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// A step of the CPU backend: runs synchronously on the host over the context's tensors (host memory of the CPU
/// accelerator, NHWC), with the same formulas as the ILGPU step it replaces. Steps keep no per-run state, so contexts
/// of one engine run concurrently; their loops are struct range bodies and their per-batch problems are cached, so a
/// steady-state run allocates nothing.
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

    /// <summary>Runs <paramref name="body"/> over [0, count) in contiguous ranges, one per ~<paramref name="grain"/> items, across cores (<see cref="CpuThreads.ForRanges{TBody}"/>).</summary>
    public static void ForRanges<TBody>(long count, long grain, ref TBody body)
        where TBody : struct, ICpuRangeBody => CpuThreads.ForRanges(count, grain, ref body);
}
