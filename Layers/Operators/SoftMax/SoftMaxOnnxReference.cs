namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Softmax semantics (opset 13: along one axis).</summary>
internal sealed class SoftMaxOnnxReference : OnnxEvaluator<SoftMaxSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(SoftMaxSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => SoftMax(spec, x[0]);

    // y = e^(x − max) / Σ e^(x − max) along the axis.
    private static ReferenceTensor SoftMax(SoftMaxSpec s, ReferenceTensor x)
    {
        long outer = OnnxShapes.Product(x.Shape, 0, s.Axis), size = x.Shape[s.Axis], inner = OnnxShapes.Product(x.Shape, s.Axis + 1);
        var y = new float[x.Count];
        for (long o = 0; o < outer; o++)
        {
            for (long i = 0; i < inner; i++)
            {
                long at(long k) => (((o * size) + k) * inner) + i;
                double max = double.NegativeInfinity;
                for (long k = 0; k < size; k++)
                {
                    max = Math.Max(max, x.Data[at(k)]);
                }
                double sum = 0;
                for (long k = 0; k < size; k++)
                {
                    sum += Math.Exp(x.Data[at(k)] - max);
                }
                for (long k = 0; k < size; k++)
                {
                    y[at(k)] = (float)(Math.Exp(x.Data[at(k)] - max) / sum);
                }
            }
        }
        return new ReferenceTensor(x.Shape, y);
    }
}
