using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Quantize, dequantize or round to halves between FP32, FP16 and INT8 steps (NHWC to NHWC).</summary>
internal sealed class ConvertStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var shape = Input().Dims.WithBatch(batch);
        var kind = ((ConvertLayer)Node.Layer).Kind;
        if (kind == ConvertKind.ToHalf)
        {
            Kernels.Ops.HalfRound.Run(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), shape.Elements);
        }
        else if (kind == ConvertKind.Quantize)
        {
            Kernels.Ops.Convert.Quantize(Device, context.View<float>(Input(), batch), TensorFormat.NHWC, context.View<sbyte>(Output, batch), TensorFormat.NHWC, shape, Output.Scale);
        }
        else
        {
            Kernels.Ops.Convert.Dequantize(Device, context.View<sbyte>(Input(), batch), TensorFormat.NHWC, context.View<float>(Output, batch), TensorFormat.NHWC, shape, Input().Scale);
        }
    }
}
