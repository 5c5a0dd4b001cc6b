using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Quantize, dequantize, or to and from halves between FP32, FP16 and INT8 steps (NHWC to NHWC).</summary>
internal sealed class ConvertStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var shape = Input().Dims.WithBatch(batch);
        switch (((ConvertLayer)Node.Layer).Kind)
        {
            case ConvertKind.ToHalf when Output.Type == DataType.Half:
                Kernels.Ops.HalfPack.Run(Device, context.View<float>(Input(), batch), context.View<ushort>(Output, batch), shape.Elements);
                break;
            case ConvertKind.ToHalf:
                // Engine files before version 9: FP16 values in float words.
                Kernels.Ops.HalfRound.Run(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), shape.Elements);
                break;
            case ConvertKind.FromHalf:
                Kernels.Ops.HalfUnpack.Run(Device, context.View<ushort>(Input(), batch), context.View<float>(Output, batch), shape.Elements);
                break;
            case ConvertKind.Quantize when Input().Type == DataType.Half:
                Kernels.Ops.HalfQuantize.Quantize(Device, context.View<ushort>(Input(), batch), context.View<sbyte>(Output, batch), shape.Elements, Output.Scale);
                break;
            case ConvertKind.Dequantize when Output.Type == DataType.Half:
                Kernels.Ops.HalfQuantize.Dequantize(Device, context.View<sbyte>(Input(), batch), context.View<ushort>(Output, batch), shape.Elements, Input().Scale);
                break;
            case ConvertKind.Quantize:
                Kernels.Ops.Convert.Quantize(Device, context.View<float>(Input(), batch), TensorFormat.NHWC, context.View<sbyte>(Output, batch), TensorFormat.NHWC, shape, Output.Scale);
                break;
            default:
                Kernels.Ops.Convert.Dequantize(Device, context.View<sbyte>(Input(), batch), TensorFormat.NHWC, context.View<float>(Output, batch), TensorFormat.NHWC, shape, Input().Scale);
                break;
        }
    }
}
