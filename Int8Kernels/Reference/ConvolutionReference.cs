using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>Scalar references of convolution and deconvolution (int32 accumulators, wrapping), the oracle of every variant.</summary>
internal static class ConvolutionReference
{
    /// <summary>
    /// acc[(n·P + p)·Q + q][k] = Σ_{r,s,c} x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, g·Cg + c] · w[k][r][s][c], g = k / Kg;
    /// x in <paramref name="format"/>, w dense KRSC, taps outside the image contribute zero.
    /// </summary>
    public static int[] Forward(ReadOnlySpan<sbyte> x, TensorFormat format, ReadOnlySpan<sbyte> w, ConvProblem p)
    {
        p.Validate();
        var shape = new TensorShape(p.N, p.C, p.H, p.W);
        var acc = new int[(long)p.N * p.P * p.Q * p.K];
        for (var n = 0; n < p.N; n++)
        {
            for (var oh = 0; oh < p.P; oh++)
            {
                for (var ow = 0; ow < p.Q; ow++)
                {
                    for (var k = 0; k < p.K; k++)
                    {
                        var g = k / p.KPerGroup;
                        var sum = 0;
                        for (var r = 0; r < p.R; r++)
                        {
                            for (var s = 0; s < p.S; s++)
                            {
                                var h = (oh * p.StrideH) - p.PadH + (r * p.DilationH);
                                var ww = (ow * p.StrideW) - p.PadW + (s * p.DilationW);
                                if (h < 0 || h >= p.H || ww < 0 || ww >= p.W)
                                {
                                    continue;
                                }

                                for (var c = 0; c < p.CPerGroup; c++)
                                {
                                    var xv = x[(int)shape.Offset(format, n, (g * p.CPerGroup) + c, h, ww)];
                                    var wv = w[(((k * p.R) + r) * p.S + s) * p.CPerGroup + c];
                                    sum = unchecked(sum + (xv * wv));
                                }
                            }
                        }

                        acc[((((long)n * p.P) + oh) * p.Q + ow) * p.K + k] = sum;
                    }
                }
            }
        }

        return acc;
    }

    /// <summary>
    /// Transposed convolution (the adjoint of <see cref="Forward"/>): every input pixel (n, ih, iw) scatters
    /// x[n, ih, iw, g·Cg + c] · w[k][r][s][c] into output (n, ih·sh − ph + r·dh, iw·sw − pw + s·dw, k) with
    /// g = k / Kg; output NHWC [N, OH, OW, K] with OH = (H − 1)·sh − 2·ph + dh·(R − 1) + 1 + outputPadding.
    /// </summary>
    public static int[] Transposed(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> w, DeconvProblem p)
    {
        p.Validate();
        var y = new int[(long)p.N * p.OutH * p.OutW * p.K];
        for (var n = 0; n < p.N; n++)
        {
            for (var ih = 0; ih < p.H; ih++)
            {
                for (var iw = 0; iw < p.W; iw++)
                {
                    for (var k = 0; k < p.K; k++)
                    {
                        var g = k / p.KPerGroup;
                        for (var r = 0; r < p.R; r++)
                        {
                            for (var s = 0; s < p.S; s++)
                            {
                                var oh = (ih * p.StrideH) - p.PadH + (r * p.DilationH);
                                var ow = (iw * p.StrideW) - p.PadW + (s * p.DilationW);
                                if (oh < 0 || oh >= p.OutH || ow < 0 || ow >= p.OutW)
                                {
                                    continue;
                                }

                                var sum = 0;
                                for (var c = 0; c < p.CPerGroup; c++)
                                {
                                    sum += x[(((n * p.H) + ih) * p.W + iw) * p.C + (g * p.CPerGroup) + c] * w[(((k * p.R) + r) * p.S + s) * p.CPerGroup + c];
                                }

                                var o = ((((long)n * p.OutH) + oh) * p.OutW + ow) * p.K + k;
                                y[o] = unchecked(y[o] + sum);
                            }
                        }
                    }
                }
            }
        }

        return y;
    }
}
