using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a hard sigmoid, y = max(0, min(1, alpha·x + beta)) in double, rounded once (FP32 only).</summary>
internal sealed class HardSigmoidPlanReference : PlanEvaluator<HardSigmoidLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(HardSigmoidLayer layer, PlanEvaluation e) =>
        ((float[])e.X).Select(v => (float)Math.Clamp((layer.Alpha * (double)v) + layer.Beta, 0d, 1d)).ToArray();
}
