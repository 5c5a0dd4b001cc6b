using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of softmax: int8 input across channels with the exp table (integer-only: int8 output, <see cref="IntegerOnlyReference.SoftMax"/>), FP32 along any axis.</summary>
internal sealed class SoftMaxPlanReference : PlanEvaluator<SoftMaxLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(SoftMaxLayer sm, PlanEvaluation e)
    {
        var dims = e.InDims;
        if (e.Node.Int8 && e.Output.Type == DataType.Int8)
        {
            return IntegerOnlyReference.SoftMax((sbyte[])e.X, IntegerSoftMax.ExpTable(e.Sx), e.N, dims.C, dims.Plane);
        }

        if (e.Node.Int8)
        {
            return NormalizationReference.SoftMaxInt8((sbyte[])e.X, Int8LookupTable.SoftMaxExp(e.Sx), e.N, dims.C, dims.Plane);
        }

        // NCHW seen as [outer, length, inner] along the axis: the channel softmax reference with c = length, hw = inner.
        var (outer, length, inner) = dims.Nchw(sm.Axis, e.N);
        return NormalizationReference.SoftMax((float[])e.X, outer, length, inner);
    }
}
