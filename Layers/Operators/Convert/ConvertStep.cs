using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Quantize or dequantize between FP32 and INT8 steps (NHWC to NHWC).</summary>
internal sealed class ConvertStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var shape = Input().Dims.WithBatch(batch);
        if (((ConvertLayer)Node.Layer).ToInt8)
        {
            Kernels.Ops.Convert.Quantize(Device, context.View<float>(Input(), batch), TensorFormat.NHWC, context.View<sbyte>(Output, batch), TensorFormat.NHWC, shape, Output.Scale);
        }
        else
        {
            Kernels.Ops.Convert.Dequantize(Device, context.View<sbyte>(Input(), batch), TensorFormat.NHWC, context.View<float>(Output, batch), TensorFormat.NHWC, shape, Input().Scale);
        }
    }
}
