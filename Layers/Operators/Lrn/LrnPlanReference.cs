using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of local response normalization across channels (FP32, or integer-only INT8).</summary>
internal sealed class LrnPlanReference : PlanEvaluator<LrnLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(LrnLayer l, PlanEvaluation e) => e.Node.Int8
        ? IntegerOnlyReference.Lrn((sbyte[])e.X, e.N, e.InDims.C, e.InDims.Plane, l.WindowSize, l.IntegerParameters(e.Sx, e.Output.Scale))
        : NormalizationReference.Lrn((float[])e.X, e.N, e.InDims.C, e.InDims.Plane, l.WindowSize, l.Alpha, l.Beta, l.K);
}
