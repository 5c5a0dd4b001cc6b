namespace ILGPUInt8.Kernels.Reference;

/// <summary>Softmax and LRN references across the channels of NCHW data [N, C, H, W].</summary>
public static class NormalizationReference
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
    /// lane order of <see cref="SumInLaneOrder"/> with L = <see cref="Ops.SoftMax.LanesPerRow"/>(C), y = e_j / sum.
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

                var sum = SumInLaneOrder(e, lanes);
                for (var j = 0; j < c; j++)
                {
                    y[(((b * c) + j) * hw) + p] = e[j] / sum;
                }
            }
        }

        return y;
    }

    /// <summary>
    /// Σ values in the softmax kernels' order with L lanes (a power of two ≤ 32): lane l sums values l, l + L, l + 2L, … in
    /// that order from 0f into s_l; then for k = L/2, …, 2, 1: s_l ← s_l + s_{l+k} for l &lt; k; the result is s_0. (The
    /// warp butterfly s_l ← s_l + s_{l⊕k} leaves this s_0 on every lane.) L = 1: plain left-to-right order.
    /// </summary>
    public static float SumInLaneOrder(ReadOnlySpan<float> values, int lanes)
    {
        if (lanes < 1 || lanes > 32 || (lanes & (lanes - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lanes), lanes, "Lanes must be a power of two in [1, 32].");
        }

        Span<float> s = stackalloc float[32];
        s.Clear();
        for (var l = 0; l < lanes; l++)
        {
            for (var j = l; j < values.Length; j += lanes)
            {
                s[l] += values[j];
            }
        }

        for (var k = lanes / 2; k >= 1; k /= 2)
        {
            for (var l = 0; l < k; l++)
            {
                s[l] += s[l + k];
            }
        }

        return s[0];
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
