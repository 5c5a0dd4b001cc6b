namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX HardSigmoid semantics y = max(0, min(1, alpha·x + beta)), in double, rounded once.</summary>
internal sealed class HardSigmoidOnnxReference : OnnxEvaluator<HardSigmoidSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(HardSigmoidSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => new(shape, [.. x[0].Data.Select(v => (float)Math.Clamp((spec.Alpha * (double)v) + spec.Beta, 0d, 1d))]);
}
