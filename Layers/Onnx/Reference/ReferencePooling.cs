namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>Scalar max / average pooling.</summary>
internal static class ReferencePooling
{
    // Window of output (p, q): rows [p·sh − top, p·sh − top + R) clipped to the padded extent [−top, H + bottom) for
    // the count with padding, then to [0, H) for the values and the count without padding (columns likewise).
    public static ReferenceTensor Pool(PoolingSpec spec, ReferenceTensor input, long[] shape)
    {
        var (n, c, h, w) = input.Nchw;
        var y = ReferenceTensor.Zeros(shape);
        var (_, _, p, q) = y.Nchw;
        for (long plane = 0; plane < (long)n * c; plane++)
        {
            long baseIn = plane * h * w, baseOut = plane * p * q;
            for (int po = 0; po < p; po++)
            {
                for (int qo = 0; qo < q; qo++)
                {
                    int h0 = (po * spec.Stride.H) - spec.Pads.Top, w0 = (qo * spec.Stride.W) - spec.Pads.Left;
                    int h1 = Math.Min(h0 + spec.Window.H, h + spec.Pads.Bottom), w1 = Math.Min(w0 + spec.Window.W, w + spec.Pads.Right);
                    int padded = (h1 - h0) * (w1 - w0);
                    int hs = Math.Max(h0, 0), ws = Math.Max(w0, 0), he = Math.Min(h1, h), we = Math.Min(w1, w);
                    double max = double.NegativeInfinity, sum = 0;
                    int count = 0;
                    for (int hi = hs; hi < he; hi++)
                    {
                        for (int wi = ws; wi < we; wi++)
                        {
                            float v = input.Data[baseIn + ((long)hi * w) + wi];
                            max = Math.Max(max, v);
                            sum += v;
                            count++;
                        }
                    }
                    y.Data[baseOut + ((long)po * q) + qo] = spec.Max ? (float)max
                        : (float)(sum / (spec.CountIncludePad ? padded : Math.Max(count, 1)));
                }
            }
        }
        return y;
    }
}
