using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a concatenation (int8 parts requantized to the output scale; integer-only: Q31 rescale).</summary>
internal sealed class ConcatenationPlanReference : PlanEvaluator<ConcatenationLayer>
{
    // NCHW seen as [outer, length, inner] along the axis: the channel concatenation reference with channels = length_i, hw = inner.
    protected override Array Evaluate(ConcatenationLayer layer, PlanEvaluation e)
    {
        var (plan, node) = (e.Plan, e.Node);
        var axis = layer.Axis;
        var (outer, _, hw) = e.Output.Dims.Nchw(axis, e.N);
        var channels = node.Inputs.Select(i => plan.Tensors[i].Dims.Size(axis)).ToList();
        var parts = Enumerable.Range(0, node.Inputs.Count).Select(e.Input).ToList();
        if (!node.Int8)
        {
            return ShapeReference.Concat(parts.Select(p => (float[])p).ToList(), channels, outer, hw);
        }

        if (plan.IntegerOnly)
        {
            var rescale = node.Inputs.Select(i => IntegerRescale.Ratio(plan.Tensors[i].Scale, e.Output.Scale)).ToArray();
            return ShapeReference.Concat(
                parts.Select(p => (sbyte[])p).ToList(), channels, outer, hw,
                (part, q) => IntegerOnlyReference.Rescale(q, rescale[part]));
        }

        var multipliers = node.Inputs.Select(i => Int8ElementWise.RatioMultiplier(plan.Tensors[i].Scale, e.Output.Scale)).ToArray();
        return ShapeReference.Concat(
            parts.Select(p => (sbyte[])p).ToList(), channels, outer, hw,
            (part, q) => ShapeReference.RequantizeCopy(q, multipliers[part]));
    }
}
