namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Conv semantics (<see cref="ReferenceConvolution.Forward"/>).</summary>
internal sealed class ConvolutionOnnxReference : OnnxEvaluator<ConvolutionSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ConvolutionSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => ReferenceConvolution.Forward(spec, x[0], shape);
}
