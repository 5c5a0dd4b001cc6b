using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Tests.Oracle;

/// <summary>
/// The oracle's layers in double over NCHW arrays of batch n, each written from its definition (ONNX / the layer's doc
/// comment), not from the engine's kernels or their references.
/// </summary>
internal static class OracleOps
{
    // y[n,k,p,q] = b[k] + Σ_{c∈group(k), r, s} W[k][c][r][s] · x[n, g·C/g + c, p·sh − ph + r·dh, q·sw − pw + s·dw].
    public static double[] Convolution(double[] x, int n, TensorDims xd, TensorDims yd, ConvolutionLayer l, OracleWeights w)
    {
        int cg = xd.C / l.Groups, kg = l.OutputChannels / l.Groups, r = l.Kernel.H, s = l.Kernel.W;
        var y = new double[(long)n * yd.Volume];
        for (var b = 0; b < n; b++)
        {
            for (var k = 0; k < yd.C; k++)
            {
                var g = k / kg;
                for (var p = 0; p < yd.H; p++)
                {
                    for (var q = 0; q < yd.W; q++)
                    {
                        var sum = w.B[k];
                        for (var c = 0; c < cg; c++)
                        {
                            for (var i = 0; i < r; i++)
                            {
                                var h = (p * l.Stride.H) - l.Padding.H + (i * l.Dilation.H);
                                for (var j = 0; j < s && h >= 0 && h < xd.H; j++)
                                {
                                    var v = (q * l.Stride.W) - l.Padding.W + (j * l.Dilation.W);
                                    if (v >= 0 && v < xd.W)
                                    {
                                        sum += w.W[(k * w.RowLength) + (((c * r) + i) * s) + j] * x[At(b, (g * cg) + c, h, v, xd)];
                                    }
                                }
                            }
                        }

                        y[At(b, k, p, q, yd)] = sum;
                    }
                }
            }
        }

        return y;
    }

    /// <summary>Deconvolution weights [C][K/g][R][S] as rows per output channel k: [c within the group][r][s].</summary>
    public static float[] DeconvRows(DeconvolutionLayer l, int channels)
    {
        int cg = channels / l.Groups, kg = l.OutputChannels / l.Groups, rs = l.Kernel.H * l.Kernel.W;
        var src = l.Weights.Span;
        var rows = new float[l.OutputChannels * cg * rs];
        for (var k = 0; k < l.OutputChannels; k++)
        {
            for (var c = 0; c < cg; c++)
            {
                var from = ((((k / kg) * cg) + c) * kg) + (k % kg);
                src.Slice(from * rs, rs).CopyTo(rows.AsSpan(((k * cg) + c) * rs, rs));
            }
        }

        return rows;
    }

    // Scatter form: y[n, k, h·sh − ph + r·dh, w·sw − pw + s·dw] += W[c][k][r][s] · x[n, c, h, w], plus b[k].
    public static double[] Deconvolution(double[] x, int n, TensorDims xd, TensorDims yd, DeconvolutionLayer l, OracleWeights w)
    {
        int cg = xd.C / l.Groups, kg = l.OutputChannels / l.Groups, r = l.Kernel.H, s = l.Kernel.W;
        var y = new double[(long)n * yd.Volume];
        for (var b = 0; b < n; b++)
        {
            for (var k = 0; k < yd.C; k++)
            {
                for (var i = 0; i < yd.Plane; i++)
                {
                    y[At(b, k, 0, 0, yd) + i] = w.B[k];
                }

                var g = k / kg;
                for (var c = 0; c < cg; c++)
                {
                    for (var h = 0; h < xd.H; h++)
                    {
                        for (var v = 0; v < xd.W; v++)
                        {
                            var xv = x[At(b, (g * cg) + c, h, v, xd)];
                            for (var i = 0; i < r; i++)
                            {
                                var oh = (h * l.Stride.H) - l.Padding.H + (i * l.Dilation.H);
                                for (var j = 0; j < s && oh >= 0 && oh < yd.H; j++)
                                {
                                    var ow = (v * l.Stride.W) - l.Padding.W + (j * l.Dilation.W);
                                    if (ow >= 0 && ow < yd.W)
                                    {
                                        y[At(b, k, oh, ow, yd)] += w.W[(k * w.RowLength) + (((c * r) + i) * s) + j] * xv;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return y;
    }

    // y[n, k] = b[k] + Σ_i W[k][i] · x[n, i] over the item's C·H·W values.
    public static double[] FullyConnected(double[] x, int n, OracleWeights w)
    {
        var k = w.B.Length;
        var y = new double[n * k];
        for (var b = 0; b < n; b++)
        {
            for (var o = 0; o < k; o++)
            {
                var sum = w.B[o];
                for (var i = 0; i < w.RowLength; i++)
                {
                    sum += w.W[(o * w.RowLength) + i] * x[(b * w.RowLength) + i];
                }

                y[(b * k) + o] = sum;
            }
        }

        return y;
    }

    public static double Activate(double v, ActivationSpec a) => a.Kind switch
    {
        ActivationKind.None => v,
        ActivationKind.Relu => Math.Max(v, 0),
        ActivationKind.LeakyRelu => v >= 0 ? v : a.Alpha * v,
        ActivationKind.Clip => Math.Clamp(v, a.Alpha, a.Beta),
        ActivationKind.Tanh => Math.Tanh(v),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
        ActivationKind.HardSwish => v * Math.Clamp((v / 6) + 0.5, 0, 1),
        ActivationKind.Silu => v / (1 + Math.Exp(-v)),
        _ => throw new NotSupportedException(a.Kind.ToString()),
    };

    // Window rows [o·stride − pad, min(start + window, size + end pad)), clipped to the input; average divides by the
    // window's size inside the padded input (count_include_pad) or by its positions inside the input.
    public static double[] Pool(double[] x, int n, TensorDims xd, TensorDims yd, PoolingLayer l)
    {
        int wr = l.Global ? xd.H : l.Window.H, ws = l.Global ? xd.W : l.Window.W;
        int sh = l.Global ? 1 : l.Stride.H, sw = l.Global ? 1 : l.Stride.W;
        int ph = l.Global ? 0 : l.Padding.H, pw = l.Global ? 0 : l.Padding.W, pb = l.Global ? 0 : l.PaddingEnd.H, pr = l.Global ? 0 : l.PaddingEnd.W;
        var y = new double[(long)n * yd.Volume];
        for (var b = 0; b < n; b++)
        {
            for (var c = 0; c < yd.C; c++)
            {
                for (var p = 0; p < yd.H; p++)
                {
                    for (var q = 0; q < yd.W; q++)
                    {
                        int hs = (p * sh) - ph, he = Math.Min(hs + wr, xd.H + pb), vs = (q * sw) - pw, ve = Math.Min(vs + ws, xd.W + pr);
                        var padded = (he - hs) * (ve - vs);
                        double max = double.NegativeInfinity, sum = 0;
                        var count = 0;
                        for (var h = Math.Max(hs, 0); h < Math.Min(he, xd.H); h++)
                        {
                            for (var v = Math.Max(vs, 0); v < Math.Min(ve, xd.W); v++)
                            {
                                var e = x[At(b, c, h, v, xd)];
                                max = Math.Max(max, e);
                                sum += e;
                                count++;
                            }
                        }

                        y[At(b, c, p, q, yd)] = l.PoolingType == PoolingType.Max ? max : sum / (l.CountPadding ? padded : count);
                    }
                }
            }
        }

        return y;
    }

    public static double[] PerChannel(double[] x, TensorDims d, Func<double, int, double> f)
    {
        var y = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = f(x[i], (int)(i / d.Plane % d.C));
        }

        return y;
    }

    // y = (x · scale + shift)^power with the parameter index of the mode.
    public static double[] Scale(double[] x, TensorDims d, ScaleLayer l)
    {
        var y = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var j = l.Mode switch
            {
                ScaleMode.Uniform => 0,
                ScaleMode.Channel => (int)(i / d.Plane % d.C),
                _ => (int)(i % d.Volume),
            };
            var v = (x[i] * (l.ScaleValues.IsEmpty ? 1 : l.ScaleValues.Span[j])) + (l.Shift.IsEmpty ? 0 : l.Shift.Span[j]);
            y[i] = l.Power.IsEmpty ? v : Math.Pow(v, l.Power.Span[j]);
        }

        return y;
    }

    public static double[] Binary(double[] a, double[] b, ElementWiseOperation op)
    {
        var y = new double[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            y[i] = op switch
            {
                ElementWiseOperation.Sum => a[i] + b[i],
                ElementWiseOperation.Product => a[i] * b[i],
                _ => Math.Max(a[i], b[i]),
            };
        }

        return y;
    }

    // y = x / (k + alpha / size · Σ x²)^beta over channels [c − ⌊(size − 1)/2⌋, c + ⌊size/2⌋].
    public static double[] Lrn(double[] x, int n, TensorDims d, LrnLayer l)
    {
        var y = new double[x.Length];
        int before = (l.WindowSize - 1) / 2, after = l.WindowSize / 2;
        for (var b = 0; b < n; b++)
        {
            for (var c = 0; c < d.C; c++)
            {
                for (var p = 0; p < d.Plane; p++)
                {
                    double sum = 0;
                    for (var j = Math.Max(0, c - before); j <= Math.Min(d.C - 1, c + after); j++)
                    {
                        var v = x[(((b * d.C) + j) * d.Plane) + p];
                        sum += v * v;
                    }

                    var i = (((b * d.C) + c) * d.Plane) + p;
                    y[i] = x[i] / Math.Pow(l.K + (l.Alpha / l.WindowSize * sum), l.Beta);
                }
            }
        }

        return y;
    }

    // y = exp(x − max) / Σ exp(x − max) along the axis, the tensor seen as [outer, length, inner].
    public static double[] SoftMax(double[] x, (int Outer, int Length, int Inner) v)
    {
        var y = new double[x.Length];
        for (var o = 0; o < v.Outer; o++)
        {
            for (var i = 0; i < v.Inner; i++)
            {
                int At(int j) => (((o * v.Length) + j) * v.Inner) + i;
                var max = double.NegativeInfinity;
                for (var j = 0; j < v.Length; j++)
                {
                    max = Math.Max(max, x[At(j)]);
                }

                double sum = 0;
                for (var j = 0; j < v.Length; j++)
                {
                    sum += y[At(j)] = Math.Exp(x[At(j)] - max);
                }

                for (var j = 0; j < v.Length; j++)
                {
                    y[At(j)] /= sum;
                }
            }
        }

        return y;
    }

    // The parts one after another along the axis, the tensors seen as [outer, length_i, inner].
    public static double[] Concat(IReadOnlyList<(double[] Value, TensorDims Dims)> parts, int n, ItemAxis axis, TensorDims yd)
    {
        var y = new double[(long)n * yd.Volume];
        var (outer, length, inner) = yd.Nchw(axis, n);
        var at = 0;
        foreach (var (v, d) in parts)
        {
            var l = d.Nchw(axis, n).Length;
            for (var o = 0; o < outer; o++)
            {
                Array.Copy(v, o * l * inner, y, ((o * length) + at) * inner, l * inner);
            }

            at += l;
        }

        return y;
    }

    // y[n, c, h + top, w + left] = x[n, c, h, w], the value elsewhere.
    public static double[] Pad(double[] x, int n, TensorDims xd, TensorDims yd, PaddingLayer l)
    {
        var y = Enumerable.Repeat((double)l.Value, n * (int)yd.Volume).ToArray();
        for (var b = 0; b < n; b++)
        {
            for (var c = 0; c < xd.C; c++)
            {
                for (var h = 0; h < xd.H; h++)
                {
                    for (var w = 0; w < xd.W; w++)
                    {
                        var oh = h + l.PrePadding.H;
                        var ow = w + l.PrePadding.W;
                        if (oh >= 0 && oh < yd.H && ow >= 0 && ow < yd.W)
                        {
                            y[At(b, c, oh, ow, yd)] = x[At(b, c, h, w, xd)];
                        }
                    }
                }
            }
        }

        return y;
    }

    private static int At(int b, int c, int h, int w, TensorDims d) => (((((b * d.C) + c) * d.H) + h) * d.W) + w;
}
