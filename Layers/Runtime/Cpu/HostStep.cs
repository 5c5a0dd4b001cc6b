using ILGPUInt8.Kernels.Cpu;

namespace ILGPUInt8.Layers;

/// <summary>
/// A step of the CPU backend: runs synchronously on the host over the context's tensors (host memory of the CPU
/// accelerator, NHWC), with the same formulas as the ILGPU step it replaces. Steps keep no per-run state, so contexts
/// of one engine run concurrently.
/// </summary>
internal abstract unsafe class HostStep(Engine engine, PlanNode node) : Step(engine, node)
{
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

/// <summary>The CPU backend's step for a plan node, by layer type.</summary>
internal static class HostStepFactory
{
    public static Step Create(Engine engine, PlanNode node) => node.Layer switch
    {
        ConvolutionLayer or FullyConnectedLayer => new HostConvolutionStep(engine, node),
        DeconvolutionLayer => new HostDeconvolutionStep(engine, node),
        ActivationLayer => new HostActivationStep(engine, node),
        PoolingLayer => new HostPoolingStep(engine, node),
        ScaleLayer => new HostScaleStep(engine, node),
        ElementWiseLayer => new HostElementWiseStep(engine, node),
        LrnLayer => new HostLrnStep(engine, node),
        SoftMaxLayer => new HostSoftMaxStep(engine, node),
        ConcatenationLayer => new HostConcatStep(engine, node),
        ReshapeLayer => new HostReshapeStep(engine, node),
        PaddingLayer => new HostPaddingStep(engine, node),
        ConvertLayer => new HostConvertStep(engine, node),
        _ => throw new NetworkException(node.Name, $"layer type {node.Layer.Type} cannot be executed (it should have been lowered)."),
    };
}
