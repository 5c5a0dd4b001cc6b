using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// A matrix product beyond the fully connected [N, K]·[K, M] case (MatMul above rank 2, Gemm with transA = 1 or a bias
/// that varies along the rows): y[b…, m, n] = Σ_k a[b…, m, k]·W[b…, k, n] + C[b…, m, n], with a[b…, k, m] read for
/// a[b…, m, k] when <see cref="TransposeA"/>. The leading (batch) dimensions broadcast as numpy's: each operand's are
/// right-aligned against the output's and a dimension of 1 repeats; the constant W has alpha and transB folded in, the
/// constant C beta.
/// </summary>
/// <param name="Weights">W, C-order over <see cref="WeightDims"/>.</param>
/// <param name="WeightDims">[b…, K, N].</param>
/// <param name="TransposeA">True when the run-time input is [b…, K, M] (Gemm's transA).</param>
/// <param name="Bias">C, C-order over <see cref="BiasDims"/>, or null.</param>
/// <param name="BiasDims">C's dimensions, broadcast right-aligned to the output's.</param>
internal sealed record BatchedMatMulSpec(float[] Weights, long[] WeightDims, bool TransposeA, float[]? Bias, long[] BiasDims) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "BatchedMatMul";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.BatchedMatMul(this, name);

    // The operands broadcast right-aligned, so the leading 1 of the whole tensors changes nothing.
    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this;

    /// <summary>
    /// The C-order offset into a tensor of <paramref name="dims"/> broadcast right-aligned to an index
    /// <paramref name="index"/> of a larger shape: off = Σ_j i_j·∏_(l&gt;j) dims[l], with i_j = 0 where dims[j] = 1.
    /// </summary>
    internal static long Offset(IReadOnlyList<long> dims, IReadOnlyList<long> index)
    {
        long offset = 0;
        int shift = index.Count - dims.Count;
        for (int j = 0; j < dims.Count; j++)
        {
            offset = (offset * dims[j]) + (dims[j] == 1 ? 0 : index[j + shift]);
        }

        return offset;
    }

    /// <summary>The index of flat element <paramref name="e"/> of <paramref name="shape"/> (C order).</summary>
    internal static long[] Unravel(long e, IReadOnlyList<long> shape)
    {
        var index = new long[shape.Count];
        for (int d = shape.Count - 1; d >= 0; d--)
        {
            index[d] = e % shape[d];
            e /= shape[d];
        }

        return index;
    }
}
