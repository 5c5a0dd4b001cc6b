using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>
/// The plan reference of pooling (float, or int8 with the average's requantization multipliers; integer-only: Q31
/// multipliers per divisor).
/// </summary>
internal sealed class PoolingPlanReference : PlanEvaluator<PoolingLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(PoolingLayer layer, PlanEvaluation e)
    {
        var p = layer.Problem(e.N, e.InDims);
        if (!e.Node.Int8)
        {
            return PoolingReference.Float((float[])e.X, p, layer.Mode);
        }

        if (e.Plan.IntegerOnly && layer.Mode != PoolingMode.Max)
        {
            var table = Pooling.AverageFixedPoint(e.Sx, e.Output.Scale, p.R * p.S);
            return PoolingReference.Int8Average((sbyte[])e.X, p, layer.Mode, (sum, d) => IntegerOnlyReference.Rescale(sum, table[d]));
        }

        var multipliers = layer.Mode == PoolingMode.Max ? [] : Pooling.AverageMultipliers(e.Sx, e.Output.Scale, p.R * p.S);
        return PoolingReference.Int8((sbyte[])e.X, p, layer.Mode, multipliers);
    }
}
