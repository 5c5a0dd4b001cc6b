using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a reshape: NCHW order does not change, the values are copied.</summary>
internal sealed class ReshapePlanReference : PlanEvaluator<ReshapeLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ReshapeLayer layer, PlanEvaluation e) => (Array)e.X.Clone();
}
