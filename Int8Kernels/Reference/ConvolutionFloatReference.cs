using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// FP32 convolution references in the public layouts (the specification of the float kernels): activations NCHW,
/// convolution weights KCRS [K][C/g][R][S], transposed-convolution weights [C][K/g][R][S] (ONNX ConvTranspose).
/// Sums in double, rounded once, then the activation.
/// </summary>
internal static class ConvolutionFloatReference
{
    /// <summary>y[n,k,p,q] = f(bias[k] + Σ_{c,r,s} x[n, g·Cg + c, p·sh − ph + r·dh, q·sw − pw + s·dw] · w[k][c][r][s]).</summary>
    public static float[] Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ConvProblem p, ActivationSpec activation)
    {
        p.Validate();
        var y = new float[(long)p.N * p.K * p.P * p.Q];
        for (var n = 0; n < p.N; n++)
        {
            for (var k = 0; k < p.K; k++)
            {
                var g = k / p.KPerGroup;
                for (var oh = 0; oh < p.P; oh++)
                {
                    for (var ow = 0; ow < p.Q; ow++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[k];
                        for (var c = 0; c < p.CPerGroup; c++)
                        {
                            for (var r = 0; r < p.R; r++)
                            {
                                var h = (oh * p.StrideH) - p.PadH + (r * p.DilationH);
                                if (h < 0 || h >= p.H)
                                {
                                    continue;
                                }

                                for (var s = 0; s < p.S; s++)
                                {
                                    var ww = (ow * p.StrideW) - p.PadW + (s * p.DilationW);
                                    if (ww < 0 || ww >= p.W)
                                    {
                                        continue;
                                    }

                                    sum += (double)x[(((n * p.C) + (g * p.CPerGroup) + c) * p.H + h) * p.W + ww] * w[(((k * p.CPerGroup) + c) * p.R + r) * p.S + s];
                                }
                            }
                        }

                        y[(((n * p.K) + k) * p.P + oh) * p.Q + ow] = activation.Apply((float)sum);
                    }
                }
            }
        }

        return y;
    }

    /// <summary>
    /// Transposed convolution: every input (n, c, ih, iw) adds x · w[c][kk][r][s] into output channel g·Kg + kk at
    /// (ih·sh − ph + r·dh, iw·sw − pw + s·dw); then bias and the activation.
    /// </summary>
    public static float[] Transposed(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, DeconvProblem p, ActivationSpec activation)
    {
        p.Validate();
        var acc = new double[(long)p.N * p.K * p.OutH * p.OutW];
        for (var n = 0; n < p.N; n++)
        {
            for (var c = 0; c < p.C; c++)
            {
                var g = c / p.CPerGroup;
                for (var ih = 0; ih < p.H; ih++)
                {
                    for (var iw = 0; iw < p.W; iw++)
                    {
                        double xv = x[(((n * p.C) + c) * p.H + ih) * p.W + iw];
                        for (var kk = 0; kk < p.KPerGroup; kk++)
                        {
                            var k = (g * p.KPerGroup) + kk;
                            for (var r = 0; r < p.R; r++)
                            {
                                var oh = (ih * p.StrideH) - p.PadH + (r * p.DilationH);
                                for (var s = 0; s < p.S; s++)
                                {
                                    var ow = (iw * p.StrideW) - p.PadW + (s * p.DilationW);
                                    if (oh < 0 || oh >= p.OutH || ow < 0 || ow >= p.OutW)
                                    {
                                        continue;
                                    }

                                    acc[(((n * p.K) + k) * p.OutH + oh) * p.OutW + ow] += xv * w[(((c * p.KPerGroup) + kk) * p.R + r) * p.S + s];
                                }
                            }
                        }
                    }
                }
            }
        }

        var y = new float[acc.Length];
        var plane = p.OutH * p.OutW;
        for (var i = 0; i < y.Length; i++)
        {
            var k = (i / plane) % p.K;
            y[i] = activation.Apply((float)(acc[i] + (bias.IsEmpty ? 0 : bias[k])));
        }

        return y;
    }
}
