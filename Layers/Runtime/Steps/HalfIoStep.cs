using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// An FP16 step: the layer's float step (FP32 arithmetic on half inputs and, for weight layers, half weights) followed
/// by the FP16 store, every output element rounded to the nearest half in place (round-to-nearest-even,
/// <c>HalfConvert.Round</c>: <see cref="HalfRound"/> on the ILGPU backends, <see cref="HostConvert.RoundToHalf"/> on the
/// CPU backend, the same integer arithmetic). A fused activation is applied before that one rounding.
/// </summary>
internal sealed unsafe class HalfStoreStep : Step
{
    private readonly Step _inner;

    public HalfStoreStep(Step inner)
        : base(inner.Engine, inner.Node) => _inner = Own(inner);

    /// <inheritdoc />
    public override int Launches => _inner.Launches + 1;

    /// <inheritdoc />
    public override long ScratchBytes => _inner.ScratchBytes;

    /// <inheritdoc />
    public override int FusedInput => _inner.FusedInput;

    /// <inheritdoc />
    public override string KernelName => _inner.KernelName + "+round_f16";

    /// <inheritdoc />
    public override void Run(ExecutionContext context, int batch)
    {
        _inner.Run(context, batch);
        var count = Output.Dims.Volume * batch;
        if (Engine.HostIsa is not null)
        {
            var y = context.Pointer<float>(Output, batch);
            HostConvert.RoundToHalf(y, y, count);
        }
        else
        {
            var y = context.View<float>(Output, batch);
            HalfRound.Run(Device, y, y, count);
        }
    }
}
