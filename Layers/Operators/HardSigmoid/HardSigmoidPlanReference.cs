using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>
/// The plan reference of a hard sigmoid: y = max(0, min(1, alpha·x + beta)) in double, rounded once; INT8 (integer-only
/// engines) the table built with integers.
/// </summary>
internal sealed class HardSigmoidPlanReference : PlanEvaluator<HardSigmoidLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(HardSigmoidLayer layer, PlanEvaluation e) => e.Node.Int8
        ? ElementWiseReference.Lookup((sbyte[])e.X, IntegerActivation.HardSigmoidTable(layer.Alpha, layer.Beta, e.Sx, e.Output.Scale))
        : ((float[])e.X).Select(v => (float)Math.Clamp((layer.Alpha * (double)v) + layer.Beta, 0d, 1d)).ToArray();
}
