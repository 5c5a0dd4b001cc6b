namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>ONNX Transpose on the whole batched tensor, element by element: y[i] = x[j] with j[perm[k]] = i[k].</summary>
internal sealed class TransposeOnnxReference : OnnxEvaluator<TransposeSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(TransposeSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape)
    {
        var s = x[0].Shape;
        int rank = s.Length;
        var y = new float[x[0].Data.Length];
        var index = new long[rank];
        for (long f = 0; f < y.LongLength; f++)
        {
            // index = the C-order multi-index of f in the output shape; the input offset puts index[k] at dimension perm[k].
            long rest = f;
            for (int k = rank - 1; k >= 0; k--)
            {
                index[k] = rest % shape[k];
                rest /= shape[k];
            }

            var source = new long[rank];
            for (int k = 0; k < rank; k++)
            {
                source[spec.Perm[k]] = index[k];
            }

            long offset = 0;
            for (int d = 0; d < rank; d++)
            {
                offset = (offset * s[d]) + source[d];
            }

            y[f] = x[0].Data[offset];
        }

        return new ReferenceTensor(shape, y);
    }
}
