using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of an activation: the float function, or the int8 lookup table.</summary>
internal sealed class ActivationPlanReference : PlanEvaluator<ActivationLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ActivationLayer layer, PlanEvaluation e) => e.Node.Int8
        ? ElementWiseReference.Lookup((sbyte[])e.X, Int8Parameters.ActivationTable(e.Plan, layer.Activation, e.Sx, e.Output.Scale))
        : ElementWiseReference.Activation((float[])e.X, layer.Activation);
}
