namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>A reshape: the C-order values unchanged under the new shape.</summary>
internal sealed class ReshapeOnnxReference : OnnxEvaluator<ReshapeSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ReshapeSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => new ReferenceTensor(shape, (float[])x[0].Data.Clone());
}
