using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>Pooling references over NCHW (float and int8), windows as in <see cref="PoolProblem"/>.</summary>
internal static class PoolingReference
{
    /// <summary>Float max or average.</summary>
    public static float[] Float(ReadOnlySpan<float> x, PoolProblem p, PoolingMode mode)
    {
        p.Validate();
        var y = new float[(long)p.N * p.C * p.P * p.Q];
        foreach (var (i, plane, h0, h1, w0, w1, padded) in Windows(p))
        {
            float max = float.NegativeInfinity, sum = 0f;
            for (var h = h0; h < h1; h++)
            {
                for (var w = w0; w < w1; w++)
                {
                    var v = x[(int)(((plane * p.H) + h) * p.W) + w];
                    max = v > max ? v : max;
                    sum += v;
                }
            }

            var valid = (h1 - h0) * (w1 - w0);
            y[i] = mode switch
            {
                PoolingMode.Max => max,
                PoolingMode.AverageCountPadding => sum / padded,
                _ => sum / valid,
            };
        }

        return y;
    }

    /// <summary>Int8 max (output scale = input scale) or average (int32 sum requantized by m[divisor]).</summary>
    public static sbyte[] Int8(ReadOnlySpan<sbyte> x, PoolProblem p, PoolingMode mode, ReadOnlySpan<float> multipliers)
    {
        p.Validate();
        var y = new sbyte[(long)p.N * p.C * p.P * p.Q];
        foreach (var (i, plane, h0, h1, w0, w1, padded) in Windows(p))
        {
            int max = -128, sum = 0;
            for (var h = h0; h < h1; h++)
            {
                for (var w = w0; w < w1; w++)
                {
                    int v = x[(int)(((plane * p.H) + h) * p.W) + w];
                    max = Math.Max(max, v);
                    sum += v;
                }
            }

            var divisor = mode == PoolingMode.AverageCountPadding ? padded : (h1 - h0) * (w1 - w0);
            y[i] = mode == PoolingMode.Max ? (sbyte)max : (sbyte)QuantMath.Requantize(sum, 0, multipliers[divisor], -127);
        }

        return y;
    }

    /// <summary>Int8 average pooling of NCHW x with any integer finish y = finish(sum, divisor).</summary>
    public static sbyte[] Int8Average(ReadOnlySpan<sbyte> x, PoolProblem p, PoolingMode mode, Func<int, int, int> finish)
    {
        p.Validate();
        var y = new sbyte[(long)p.N * p.C * p.P * p.Q];
        foreach (var (i, plane, h0, h1, w0, w1, padded) in Windows(p))
        {
            int sum = 0;
            for (var h = h0; h < h1; h++)
            {
                for (var w = w0; w < w1; w++)
                {
                    sum += x[(int)(((plane * p.H) + h) * p.W) + w];
                }
            }

            y[i] = (sbyte)finish(sum, mode == PoolingMode.AverageCountPadding ? padded : (h1 - h0) * (w1 - w0));
        }

        return y;
    }

    // Every output (n, c, oh, ow) in NCHW order: its index, its input plane n·C + c and its window (see Window).
    private static IEnumerable<(long I, long Plane, int H0, int H1, int W0, int W1, int Padded)> Windows(PoolProblem p)
    {
        long i = 0;
        for (long plane = 0; plane < (long)p.N * p.C; plane++)
        {
            for (var oh = 0; oh < p.P; oh++)
            {
                for (var ow = 0; ow < p.Q; ow++, i++)
                {
                    var (h0, h1, w0, w1, padded) = Window(p, oh, ow);
                    yield return (i, plane, h0, h1, w0, w1, padded);
                }
            }
        }
    }

    // PyTorch's window: start = o·stride − pad, end = min(start + window, size + end pad) (the divisor with padding counted),
    // then both clipped to [0, size).
    private static (int H0, int H1, int W0, int W1, int Padded) Window(PoolProblem p, int oh, int ow)
    {
        int hs = (oh * p.StrideH) - p.PadH, ws = (ow * p.StrideW) - p.PadW;
        int he = Math.Min(hs + p.R, p.H + p.PadBottom), we = Math.Min(ws + p.S, p.W + p.PadRight);
        var padded = (he - hs) * (we - ws);
        return (Math.Max(hs, 0), Math.Min(he, p.H), Math.Max(ws, 0), Math.Min(we, p.W), padded);
    }
}
