namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX pooling semantics (<see cref="ReferencePooling.Pool"/>).</summary>
internal sealed class PoolingOnnxReference : OnnxEvaluator<PoolingSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(PoolingSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => ReferencePooling.Pool(spec, x[0], shape);
}
