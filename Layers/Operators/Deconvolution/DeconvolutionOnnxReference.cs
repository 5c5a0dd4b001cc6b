namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX ConvTranspose semantics (<see cref="ReferenceConvolution.Transposed"/>).</summary>
internal sealed class DeconvolutionOnnxReference : OnnxEvaluator<DeconvolutionSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(DeconvolutionSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => ReferenceConvolution.Transposed(spec, x[0], shape);
}
