namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX LRN semantics.</summary>
internal sealed class LrnOnnxReference : OnnxEvaluator<LrnSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(LrnSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => Lrn(spec, x[0]);

    // y = x / (bias + alpha/size · Σ_{c'} x[c']²)^beta over c' ∈ [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C).
    private static ReferenceTensor Lrn(LrnSpec l, ReferenceTensor x)
    {
        long n = x.Shape[0], channels = x.Shape[1], plane = OnnxShapes.Product(x.Shape, 2);
        int before = (l.Size - 1) / 2, after = l.Size - 1 - before;
        var y = new float[x.Count];
        for (long b = 0; b < n; b++)
        {
            for (long c = 0; c < channels; c++)
            {
                for (long p = 0; p < plane; p++)
                {
                    double sum = 0;
                    for (long k = Math.Max(0, c - before); k <= Math.Min(channels - 1, c + after); k++)
                    {
                        double v = x.Data[(((b * channels) + k) * plane) + p];
                        sum += v * v;
                    }
                    long e = (((b * channels) + c) * plane) + p;
                    y[e] = (float)(x.Data[e] / Math.Pow(l.Bias + (l.Alpha / l.Size * sum), l.Beta));
                }
            }
        }
        return new ReferenceTensor(x.Shape, y);
    }
}
