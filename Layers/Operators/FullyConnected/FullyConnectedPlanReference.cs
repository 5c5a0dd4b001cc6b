using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a fully connected layer: a 1×1 convolution over C·H·W input channels.</summary>
internal sealed class FullyConnectedPlanReference : PlanEvaluator<FullyConnectedLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(FullyConnectedLayer layer, PlanEvaluation e) =>
        ConvolutionMath.Conv(e, new ConvProblem(e.N, (int)e.InDims.Volume, 1, 1, layer.OutputCount, 1, 1), layer.WeightArray, layer.BiasArray);
}
