using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a convolution: the float or int8 scalar convolution (<see cref="ConvolutionMath"/>).</summary>
internal sealed class ConvolutionPlanReference : PlanEvaluator<ConvolutionLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ConvolutionLayer layer, PlanEvaluation e) =>
        ConvolutionMath.Conv(e, layer.Problem(e.N, e.InDims), layer.WeightArray, layer.BiasArray);
}
