using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of spatial padding (int8: the value quantized to the output scale).</summary>
internal sealed class PaddingPlanReference : PlanEvaluator<PaddingLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(PaddingLayer p, PlanEvaluation e)
    {
        var d = e.InDims;
        return e.Node.Int8
            ? ShapeReference.Pad((sbyte[])e.X, e.N, d.C, d.H, d.W, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, (sbyte)QuantMath.Quantize(p.Value, e.Output.Scale))
            : ShapeReference.Pad((float[])e.X, e.N, d.C, d.H, d.W, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, p.Value);
    }
}
