using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Quantize, dequantize, or to and from halves between FP32, FP16 and INT8 steps on the CPU backend (NHWC to NHWC).</summary>
internal sealed unsafe class HostConvertStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        long count = Elements(Output, batch);
        switch (((ConvertLayer)Node.Layer).Kind)
        {
            case ConvertKind.ToHalf when Output.Type == DataType.Half:
                HostConvert.PackHalf(context.Pointer<float>(Input(), batch), context.Pointer<ushort>(Output, batch), count);
                break;
            case ConvertKind.ToHalf:
                // Engine files before version 9: FP16 values in float words.
                HostConvert.RoundToHalf(context.Pointer<float>(Input(), batch), context.Pointer<float>(Output, batch), count);
                break;
            case ConvertKind.FromHalf:
                HostConvert.UnpackHalf(context.Pointer<ushort>(Input(), batch), context.Pointer<float>(Output, batch), count);
                break;
            case ConvertKind.Quantize when Input().Type == DataType.Half:
                HostConvert.QuantizeHalf(context.Pointer<ushort>(Input(), batch), context.Pointer<sbyte>(Output, batch), count, Output.Scale);
                break;
            case ConvertKind.Dequantize when Output.Type == DataType.Half:
                HostConvert.DequantizeToHalf(context.Pointer<sbyte>(Input(), batch), context.Pointer<ushort>(Output, batch), count, Input().Scale);
                break;
            case ConvertKind.Quantize:
                HostConvert.Quantize(context.Pointer<float>(Input(), batch), context.Pointer<sbyte>(Output, batch), count, Output.Scale);
                break;
            default:
                HostConvert.Dequantize(context.Pointer<sbyte>(Input(), batch), context.Pointer<float>(Output, batch), count, Input().Scale);
                break;
        }
    }
}
