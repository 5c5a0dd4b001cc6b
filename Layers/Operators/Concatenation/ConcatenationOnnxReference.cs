namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Concat semantics.</summary>
internal sealed class ConcatenationOnnxReference : OnnxEvaluator<ConcatenationSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ConcatenationSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => Concat(spec, x, shape);

    private static ReferenceTensor Concat(ConcatenationSpec c, IReadOnlyList<ReferenceTensor> parts, long[] shape)
    {
        long outer = OnnxShapes.Product(shape, 0, c.Axis);
        var y = new List<float>((int)OnnxShapes.Product(shape));
        for (long o = 0; o < outer; o++)
        {
            foreach (var p in parts)
            {
                long chunk = OnnxShapes.Product(p.Shape, c.Axis);
                y.AddRange(p.Data.AsSpan((int)(o * chunk), (int)chunk).ToArray());
            }
        }
        return new ReferenceTensor(shape, [.. y]);
    }
}
