using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Quantize or dequantize between FP32 and INT8 steps on the CPU backend (NHWC to NHWC).</summary>
internal sealed unsafe class HostConvertStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        long count = Elements(Output, batch);
        if (((ConvertLayer)Node.Layer).ToInt8)
        {
            HostConvert.Quantize(context.Pointer<float>(Input(), batch), context.Pointer<sbyte>(Output, batch), count, Output.Scale);
        }
        else
        {
            HostConvert.Dequantize(context.Pointer<sbyte>(Input(), batch), context.Pointer<float>(Output, batch), count, Input().Scale);
        }
    }
}
