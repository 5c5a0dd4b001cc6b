using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>
/// The plan reference of a quantize (y = clamp(round(x / s), −127, 127)), dequantize (y = q·s; rounded to half when the
/// output is an FP16 tensor), rounding to halves (.NET's (Half) cast: round-to-nearest-even) or widening of halves
/// (exact: the values are already halves).
/// </summary>
internal sealed class ConvertPlanReference : PlanEvaluator<ConvertLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ConvertLayer cv, PlanEvaluation e)
    {
        var x = e.X;
        return cv.Kind switch
        {
            ConvertKind.Quantize => QuantizationReference.Quantize((float[])x, [e.Output.Scale], x.Length),
            ConvertKind.ToHalf => ((float[])x).Select(v => (float)(Half)v).ToArray(),
            ConvertKind.FromHalf => ((float[])x).ToArray(),
            _ when e.Output.Type == DataType.Half => QuantizationReference.Dequantize((sbyte[])x, [e.Sx], x.Length).Select(v => (float)(Half)v).ToArray(),
            _ => QuantizationReference.Dequantize((sbyte[])x, [e.Sx], x.Length),
        };
    }
}
