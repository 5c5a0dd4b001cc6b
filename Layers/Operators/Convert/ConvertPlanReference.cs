using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a quantize (y = clamp(round(x / s), −127, 127)) or dequantize (y = q·s).</summary>
internal sealed class ConvertPlanReference : PlanEvaluator<ConvertLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ConvertLayer cv, PlanEvaluation e)
    {
        var x = e.X;
        return cv.ToInt8
            ? QuantizationReference.Quantize((float[])x, [e.Output.Scale], x.Length)
            : QuantizationReference.Dequantize((sbyte[])x, [e.Sx], x.Length);
    }
}
