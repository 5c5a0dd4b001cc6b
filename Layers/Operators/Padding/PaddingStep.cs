using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Constant padding (an INT8 value is the quantized float value, an FP16 one the rounded half).</summary>
internal sealed class PaddingStep(Engine engine, PlanNode node) : Step(engine, node)
{
    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        var p = (PaddingLayer)Node.Layer;
        var shape = Input().Dims.WithBatch(batch);
        if (HandlesHalfStorage)
        {
            Padding.Run(Device, context.View<ushort>(Input(), batch), context.View<ushort>(Output, batch), shape, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, HalfConvert.FromFloat(p.Value));
        }
        else if (Node.Int8)
        {
            Padding.Run(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), shape, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, (sbyte)QuantMath.Quantize(p.Value, Output.Scale));
        }
        else
        {
            Padding.Run(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), shape, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, p.Value);
        }
    }
}
