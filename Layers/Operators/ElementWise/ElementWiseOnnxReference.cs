namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Add / Mul / Max semantics with numpy broadcasting.</summary>
internal sealed class ElementWiseOnnxReference : OnnxEvaluator<ElementWiseSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ElementWiseSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => ElementWise(spec, x[0], x[1], shape);

    private static ReferenceTensor ElementWise(ElementWiseSpec e, ReferenceTensor a, ReferenceTensor b, long[] shape)
    {
        var y = new float[OnnxShapes.Product(shape)];
        for (long i = 0; i < y.LongLength; i++)
        {
            float u = a.Data[BroadcastSource(i, shape, a.Shape)], v = b.Data[BroadcastSource(i, shape, b.Shape)];
            y[i] = e.Operation switch
            {
                OnnxElementWise.Sum => u + v,
                OnnxElementWise.Product => u * v,
                _ => Math.Max(u, v),
            };
        }
        return new ReferenceTensor(shape, y);
    }

    /// <summary>The flat index in an operand of shape <paramref name="operand"/> of element <paramref name="i"/> of the broadcast result.</summary>
    internal static long BroadcastSource(long i, long[] result, long[] operand)
    {
        long source = 0, stride = 1;
        int offset = result.Length - operand.Length;
        for (int d = result.Length - 1; d >= 0; d--)
        {
            long coordinate = i % result[d];
            i /= result[d];
            int od = d - offset;
            if (od >= 0)
            {
                source += (operand[od] == 1 ? 0 : coordinate) * stride;
                stride *= operand[od];
            }
        }
        return source;
    }
}
