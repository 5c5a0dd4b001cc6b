using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Quantize, dequantize or round to halves between FP32, FP16 and INT8 steps on the CPU backend (NHWC to NHWC).</summary>
internal sealed unsafe class HostConvertStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        long count = Elements(Output, batch);
        var kind = ((ConvertLayer)Node.Layer).Kind;
        if (kind == ConvertKind.ToHalf)
        {
            HostConvert.RoundToHalf(context.Pointer<float>(Input(), batch), context.Pointer<float>(Output, batch), count);
        }
        else if (kind == ConvertKind.Quantize)
        {
            HostConvert.Quantize(context.Pointer<float>(Input(), batch), context.Pointer<sbyte>(Output, batch), count, Output.Scale);
        }
        else
        {
            HostConvert.Dequantize(context.Pointer<sbyte>(Input(), batch), context.Pointer<float>(Output, batch), count, Input().Scale);
        }
    }
}
