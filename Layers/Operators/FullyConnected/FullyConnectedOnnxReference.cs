namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Gemm / MatMul semantics of a fully connected layer (<see cref="ReferenceConvolution.FullyConnected"/>).</summary>
internal sealed class FullyConnectedOnnxReference : OnnxEvaluator<FullyConnectedSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(FullyConnectedSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => ReferenceConvolution.FullyConnected(spec, x[0], shape);
}
