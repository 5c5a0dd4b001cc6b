using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a transposed convolution (float, or int8 with the node's <see cref="Int8Parameters"/>).</summary>
internal sealed class DeconvolutionPlanReference : PlanEvaluator<DeconvolutionLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(DeconvolutionLayer d, PlanEvaluation e)
    {
        var node = e.Node;
        var p = d.Problem(e.N, e.InDims);
        if (!node.Int8)
        {
            return ConvolutionFloatReference.Transposed((float[])e.X, d.WeightArray, d.BiasArray ?? [], p, node.Fused);
        }

        var krsc = WeightLayout.DeconvCkrsToKrsc<float>(d.WeightArray, p.C, p.K, p.Groups, p.R, p.S);
        var prm = Int8Parameters.ForNode(e.Plan, node, krsc, p.K, p.R * p.S * p.CPerGroup, d.BiasArray);
        var xNhwc = LayoutReference.NchwToNhwc<sbyte>((sbyte[])e.X, new TensorShape(p.N, p.C, p.H, p.W));
        var acc = ConvolutionReference.Transposed(xNhwc, prm.Weights, p);
        return ConvolutionMath.FinishNhwc(acc, prm, p.N, p.K, p.OutH * p.OutW);
    }
}
