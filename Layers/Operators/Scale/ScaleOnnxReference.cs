namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The scale semantics y = (x·scale + shift)^power.</summary>
internal sealed class ScaleOnnxReference : OnnxEvaluator<ScaleSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ScaleSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => Scale(spec, x[0]);

    // y = (x·scale + shift)^power, coefficient index by mode.
    private static ReferenceTensor Scale(ScaleSpec s, ReferenceTensor x)
    {
        long item = x.Shape.Length > 1 ? OnnxShapes.Product(x.Shape, 1) : 1;
        long plane = x.Shape.Length > 2 ? OnnxShapes.Product(x.Shape, 2) : 1;
        long channels = x.Shape.Length > 1 ? x.Shape[1] : 1;
        var y = new float[x.Count];
        for (long e = 0; e < y.LongLength; e++)
        {
            long i = s.Mode switch
            {
                ScaleMode.PerTensor => 0,
                ScaleMode.PerChannel => e / plane % channels,
                _ => e % item,
            };
            double v = ((double)x.Data[e] * s.Scale[i]) + s.Shift[i];
            y[e] = (float)(s.Power is null ? v : Math.Pow(v, s.Power[i]));
        }
        return new ReferenceTensor(x.Shape, y);
    }
}
