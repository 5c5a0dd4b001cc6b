namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>Scalar convolution, transposed convolution and fully connected layers (double accumulation).</summary>
internal static class ReferenceConvolution
{
    // y[n,k,p,q] = bias[k] + Σ_{c,r,s} x[n, g·Cg + c, p·sh − top + r·dh, q·sw − left + s·dw] · W[k,c,r,s], zeros outside.
    // Loop order: one (n, k) output plane at a time (planes in parallel: they are disjoint), accumulated in double
    // tap by tap; for each tap the valid output columns are those whose input column lies inside the row.
    public static ReferenceTensor Forward(ConvolutionSpec spec, ReferenceTensor input, long[] shape)
    {
        var (n, c, h, w) = input.Nchw;
        var y = ReferenceTensor.Zeros(shape);
        var (_, k, p, q) = y.Nchw;
        int cg = spec.WeightDims[1], r = spec.WeightDims[2], s = spec.WeightDims[3], kg = k / spec.Groups;
        var (sh, sw) = spec.Stride;
        var (dh, dw) = spec.Dilation;
        int top = spec.Pads.Top, left = spec.Pads.Left;
        float[] x = input.Data, weights = spec.Weights, output = y.Data;
        Parallel.For(0, n * k, plane =>
        {
            int b = plane / k, ko = plane % k, g = ko / kg;
            var acc = new double[(long)p * q];
            Array.Fill(acc, spec.Bias?[ko] ?? 0);
            for (int ci = 0; ci < cg; ci++)
            {
                long channel = (((long)b * c) + (g * cg) + ci) * h * w;
                for (int ri = 0; ri < r; ri++)
                {
                    for (int si = 0; si < s; si++)
                    {
                        double wv = weights[((((long)ko * cg) + ci) * r + ri) * s + si];
                        // Columns qo with 0 ≤ qo·sw − left + si·dw < w.
                        int offset = (si * dw) - left;
                        int q0 = offset >= 0 ? 0 : (-offset + sw - 1) / sw;
                        int q1 = Math.Min(q - 1, (w - 1 - offset) < 0 ? -1 : (w - 1 - offset) / sw);
                        for (int po = 0; po < p; po++)
                        {
                            int hi = (po * sh) - top + (ri * dh);
                            if (hi < 0 || hi >= h)
                            {
                                continue;
                            }
                            long row = channel + ((long)hi * w) + offset;
                            long outRow = (long)po * q;
                            for (int qo = q0; qo <= q1; qo++)
                            {
                                acc[outRow + qo] += x[row + ((long)qo * sw)] * wv;
                            }
                        }
                    }
                }
            }
            long at = plane * (long)p * q;
            for (long e = 0; e < acc.LongLength; e++)
            {
                output[at + e] = (float)acc[e];
            }
        });
        return y;
    }

    // Each x[n,c,h,w] adds x·W[c,k,r,s] to y[n, g·Kg + k, h·sh − top + r·dh, w·sw − left + s·dw] when inside; then bias.
    public static ReferenceTensor Transposed(DeconvolutionSpec spec, ReferenceTensor input, long[] shape)
    {
        var (n, c, h, w) = input.Nchw;
        var y = ReferenceTensor.Zeros(shape);
        var (_, k, p, q) = y.Nchw;
        int kg = spec.WeightDims[1], r = spec.WeightDims[2], s = spec.WeightDims[3], cg = c / spec.Groups;
        var acc = new double[y.Count];
        for (int b = 0; b < n; b++)
        {
            for (int ci = 0; ci < c; ci++)
            {
                int g = ci / cg;
                for (int hi = 0; hi < h; hi++)
                {
                    for (int wi = 0; wi < w; wi++)
                    {
                        double xv = input.Data[((((long)b * c) + ci) * h + hi) * w + wi];
                        for (int ko = 0; ko < kg; ko++)
                        {
                            for (int ri = 0; ri < r; ri++)
                            {
                                int po = (hi * spec.Stride.H) - spec.Pads.Top + (ri * spec.Dilation.H);
                                if (po < 0 || po >= p)
                                {
                                    continue;
                                }
                                for (int si = 0; si < s; si++)
                                {
                                    int qo = (wi * spec.Stride.W) - spec.Pads.Left + (si * spec.Dilation.W);
                                    if (qo < 0 || qo >= q)
                                    {
                                        continue;
                                    }
                                    float wv = spec.Weights[((((long)ci * kg) + ko) * r + ri) * s + si];
                                    acc[((((long)b * k) + (g * kg) + ko) * p + po) * q + qo] += xv * wv;
                                }
                            }
                        }
                    }
                }
            }
        }
        long plane = (long)p * q;
        for (long e = 0; e < acc.LongLength; e++)
        {
            y.Data[e] = (float)(acc[e] + (spec.Bias?[(int)(e / plane % k)] ?? 0));
        }
        return y;
    }

    // y[n, m] = bias[m] + Σ_k x[n, k] · W[m, k].
    public static ReferenceTensor FullyConnected(FullyConnectedSpec spec, ReferenceTensor input, long[] shape)
    {
        long n = input.Shape[0];
        int m = spec.OutputCount, kk = spec.InputCount;
        var y = ReferenceTensor.Zeros(shape);
        for (long b = 0; b < n; b++)
        {
            for (int mo = 0; mo < m; mo++)
            {
                double acc = spec.Bias?[mo] ?? 0;
                for (int ki = 0; ki < kk; ki++)
                {
                    acc += (double)input.Data[(b * kk) + ki] * spec.Weights[((long)mo * kk) + ki];
                }
                y.Data[(b * m) + mo] = (float)acc;
            }
        }
        return y;
    }
}
