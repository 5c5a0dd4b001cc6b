namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>A constant: its value.</summary>
internal sealed class ConstantOnnxReference : OnnxEvaluator<ConstantSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ConstantSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => ReferenceTensor.From(spec.Value);
}
