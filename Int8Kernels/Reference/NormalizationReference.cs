namespace ILGPUInt8.Kernels.Reference;

/// <summary>Softmax and LRN references across the channels of NCHW data [N, C, H, W].</summary>
internal static class NormalizationReference
{
    /// <summary>Float softmax across C: y = exp(x − max) / Σ exp(x − max), exp in double.</summary>
    public static float[] SoftMax(ReadOnlySpan<float> x, int n, int c, int hw)
    {
        var y = new float[x.Length];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < hw; p++)
            {
                var max = float.NegativeInfinity;
                for (var j = 0; j < c; j++)
                {
                    max = Math.Max(max, x[(((b * c) + j) * hw) + p]);
                }

                double sum = 0;
                for (var j = 0; j < c; j++)
                {
                    sum += Math.Exp(x[(((b * c) + j) * hw) + p] - max);
                }

                for (var j = 0; j < c; j++)
                {
                    y[(((b * c) + j) * hw) + p] = (float)(Math.Exp(x[(((b * c) + j) * hw) + p] - max) / sum);
                }
            }
        }

        return y;
    }

    /// <summary>
    /// Int8 softmax across C with the exp table E (E[d] = exp(−d·s)): e_j = E[q_max − q_j], sum = Σ_j e_j in float in the
    /// lane order of <see cref="Ops.SoftMax.SumInLaneOrder"/> with L = <see cref="Ops.SoftMax.LanesPerRow"/>(C), y = e_j / sum.
    /// </summary>
    public static float[] SoftMaxInt8(ReadOnlySpan<sbyte> x, ReadOnlySpan<float> exp, int n, int c, int hw)
    {
        var y = new float[x.Length];
        var e = new float[c];
        int lanes = Ops.SoftMax.LanesPerRow(c);
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < hw; p++)
            {
                int max = -128;
                for (var j = 0; j < c; j++)
                {
                    max = Math.Max(max, x[(((b * c) + j) * hw) + p]);
                }

                for (var j = 0; j < c; j++)
                {
                    e[j] = exp[max - x[(((b * c) + j) * hw) + p]];
                }

                var sum = Ops.SoftMax.SumInLaneOrder(e, lanes);
                for (var j = 0; j < c; j++)
                {
                    y[(((b * c) + j) * hw) + p] = e[j] / sum;
                }
            }
        }

        return y;
    }

    /// <summary>LRN across C (ONNX): y = x / (k + alpha/size · Σ_{j ∈ [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉]} x_j²)^beta, in double.</summary>
    public static float[] Lrn(ReadOnlySpan<float> x, int n, int c, int hw, int size, float alpha, float beta, float k)
    {
        var y = new float[x.Length];
        int before = (size - 1) / 2, after = size / 2;
        for (var b = 0; b < n; b++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                for (var p = 0; p < hw; p++)
                {
                    double sum = 0;
                    for (var j = Math.Max(0, ch - before); j <= Math.Min(c - 1, ch + after); j++)
                    {
                        double v = x[(((b * c) + j) * hw) + p];
                        sum += v * v;
                    }

                    var i = (((b * c) + ch) * hw) + p;
                    y[i] = (float)(x[i] / Math.Pow(k + (alpha / size * sum), beta));
                }
            }
        }

        return y;
    }
}
