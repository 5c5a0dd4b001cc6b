namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Pad semantics (constant mode).</summary>
internal sealed class PaddingOnnxReference : OnnxEvaluator<PaddingSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(PaddingSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => Pad(spec, x[0], shape);

    private static ReferenceTensor Pad(PaddingSpec p, ReferenceTensor x, long[] shape)
    {
        var y = new float[OnnxShapes.Product(shape)];
        Array.Fill(y, p.Value);
        int rank = shape.Length;
        var index = new long[rank];
        for (long e = 0; e < x.Count; e++)
        {
            long rest = e;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d] = rest % x.Shape[d];
                rest /= x.Shape[d];
            }
            long target = 0;
            for (int d = 0; d < rank; d++)
            {
                target = (target * shape[d]) + index[d] + p.Begin[d];
            }
            y[target] = x.Data[e];
        }
        return new ReferenceTensor(shape, y);
    }
}
