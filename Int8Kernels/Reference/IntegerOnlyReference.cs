using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// Scalar references of the integer-only operators, on NCHW arrays with plain loops (never used by production code).
/// </summary>
internal static class IntegerOnlyReference
{
    /// <summary>
    /// Integer softmax across channels of NCHW int8 x: per pixel, e_c = exp[q_max − q_c] (a Q0.31 table), sum = Σ e (int64),
    /// y_c = round_half_up(127·e_c / sum) = q + (2r ≥ sum ? 1 : 0) with 127·e_c = q·sum + r.
    /// </summary>
    public static sbyte[] SoftMax(ReadOnlySpan<sbyte> x, ReadOnlySpan<int> exp, int n, int c, int hw)
    {
        var y = new sbyte[x.Length];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < hw; p++)
            {
                int max = int.MinValue;
                for (var j = 0; j < c; j++)
                {
                    max = Math.Max(max, x[(((b * c) + j) * hw) + p]);
                }

                long sum = 0;
                for (var j = 0; j < c; j++)
                {
                    sum += exp[max - x[(((b * c) + j) * hw) + p]];
                }

                for (var j = 0; j < c; j++)
                {
                    long scaled = 127L * exp[max - x[(((b * c) + j) * hw) + p]];
                    long q = scaled / sum, r = scaled % sum;
                    y[(((b * c) + j) * hw) + p] = (sbyte)(q + (2 * r >= sum ? 1 : 0));
                }
            }
        }

        return y;
    }

    /// <summary>
    /// The Q31 rescale written out with int64 arithmetic (independent of the kernels' 32-bit form):
    /// s = clamp(v + b, int32); s' = clamp(s · 2^l, int32); h = ⌊(s'·M + 2^30) / 2^31⌋;
    /// y = clamp(round_half_away(h / 2^r), lo, 127).
    /// </summary>
    public static int Rescale(int v, FixedPointChannel c, int lo = -127)
    {
        long s = Math.Clamp((long)v + c.Bias, int.MinValue, int.MaxValue);
        s = Math.Clamp(s * (1L << c.LeftShift), int.MinValue, int.MaxValue);
        long h = FloorDiv((s * c.Multiplier) + (1L << 30), 1L << 31);
        long d = 1L << c.RightShift;
        long y = c.RightShift == 0 ? h : h >= 0 ? (h + (d / 2)) / d : -((-h + (d / 2)) / d);

        return (int)Math.Clamp(y, lo, 127);
    }

    /// <summary>The int8 Q31 rescale of one value (<see cref="Rescale(int, FixedPointChannel, int)"/> with lo = −127).</summary>
    public static sbyte Rescale(sbyte q, FixedPointChannel c) => (sbyte)Rescale((int)q, c);

    /// <summary>Integer-only scale of NCHW int8 x: y[i] = Rescale(f_j·q, channel_j), j = index(i).</summary>
    public static sbyte[] Scale(ReadOnlySpan<sbyte> x, int[] factor, FixedPointChannel[] channels, Func<int, int> index)
    {
        var y = new sbyte[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var j = index(i);
            y[i] = (sbyte)Rescale(factor[j] * x[i], channels[j]);
        }

        return y;
    }

    /// <summary>
    /// Integer-only LRN of NCHW int8 x: S = Σ q_j² over the window (ONNX's [c − ⌊(n−1)/2⌋, c + ⌈(n−1)/2⌉] ∩ [0, C)), then
    /// <see cref="IntegerOnly.IntegerLrn.Apply"/>.
    /// </summary>
    public static sbyte[] Lrn(ReadOnlySpan<sbyte> x, int n, int c, int hw, int window, IntegerOnly.IntegerLrn.Parameters p)
    {
        int before = (window - 1) / 2, after = window - 1 - before;
        var y = new sbyte[x.Length];
        for (var b = 0; b < n; b++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                for (var i = 0; i < hw; i++)
                {
                    int sum = 0;
                    for (var j = Math.Max(0, ch - before); j <= Math.Min(c - 1, ch + after); j++)
                    {
                        int v = x[(((b * c) + j) * hw) + i];
                        sum += v * v;
                    }

                    int e = (((b * c) + ch) * hw) + i;
                    y[e] = (sbyte)IntegerOnly.IntegerLrn.Apply(x[e], sum, p);
                }
            }
        }

        return y;
    }

    private static long FloorDiv(long a, long b) => (a / b) - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}
