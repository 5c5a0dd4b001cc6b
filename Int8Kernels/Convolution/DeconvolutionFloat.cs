using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// FP32 transposed convolution, gathered, NHWC in and out, weights [K][R][S][C/groups] (as <see cref="DeconvolutionS8"/>):
/// y[n, oh, ow, k] = f(bias[k] + Σ_{r,s} Σ_c x[n, ih, iw, g·Cg + c] · w[k][r][s][c]) over the taps with
/// ih = (oh + ph − r·dh) / sh and iw = (ow + pw − s·dw) / sw exact and inside the input. One thread per output.
/// </summary>
public static class DeconvolutionFloat
{
    /// <summary>Launches (asynchronous). <paramref name="bias"/> holds K values (zeros for no bias).</summary>
    public static void Run(
        Int8Device device, ArrayView<float> x, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> y, DeconvProblem problem, ActivationSpec activation)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        activation.Validate(nameof(activation));
        var p = problem;
        OpArgs.AtLeast(x.Length, (long)p.N * p.H * p.W * p.C, nameof(x));
        OpArgs.AtLeast(weights.Length, (long)p.K * p.R * p.S * p.CPerGroup, nameof(weights));
        OpArgs.AtLeast(bias.Length, p.K, nameof(bias));
        OpArgs.AtLeast(y.Length, (long)p.N * p.OutH * p.OutW * p.K, nameof(y));
        var args = new DeconvArgs(p.N, p.C, p.H, p.W, p.K, p.R, p.S, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilationH, p.DilationW, p.CPerGroup, p.KPerGroup, p.OutH, p.OutW);
        var launcher = new Launcher(device, x, weights, bias, y, args);
        activation.Accept(ref launcher);
    }

    /// <summary>Thread (k, m), m = (n·OutH + oh)·OutW + ow.</summary>
    internal static void Kernel<TAct>(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, DeconvArgs a, TAct act)
        where TAct : struct, IActivation
    {
        int k = index % a.K, m = index / a.K;
        int ow = m % a.OutW;
        int oh = (m / a.OutW) % a.OutH;
        int n = m / (a.OutW * a.OutH);
        int group = k / a.KPerGroup;
        float acc = bias[k];
        for (int r = 0; r < a.R; r++)
        {
            int hNum = oh + a.PadH - (r * a.DilationH);
            if (hNum < 0 || hNum % a.StrideH != 0 || hNum / a.StrideH >= a.H)
            {
                continue;
            }

            int ih = hNum / a.StrideH;
            for (int s = 0; s < a.S; s++)
            {
                int wNum = ow + a.PadW - (s * a.DilationW);
                if (wNum < 0 || wNum % a.StrideW != 0 || wNum / a.StrideW >= a.W)
                {
                    continue;
                }

                int iw = wNum / a.StrideW;
                long xBase = ((((long)n * a.H) + ih) * a.W + iw) * a.C + (group * a.CPerGroup);
                long wBase = ((((long)k * a.R) + r) * a.S + s) * a.CPerGroup;
                for (int c = 0; c < a.CPerGroup; c++)
                {
                    acc += x[xBase + c] * w[wBase + c];
                }
            }
        }

        y[((long)m * a.K) + k] = act.Apply(acc);
    }

    /// <summary>Kernel arguments of a transposed convolution.</summary>
    internal readonly record struct DeconvArgs(
        int N, int C, int H, int W, int K, int R, int S, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW,
        int CPerGroup, int KPerGroup, int OutH, int OutW);

    private readonly struct Launcher(Int8Device device, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, DeconvArgs args) : IActivationVisitor
    {
        public void Visit<TAct>(TAct activation)
            where TAct : struct, IActivation
        {
            var kernel = device.GetKernel("deconv.f32." + typeof(TAct).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeconvArgs, TAct>(Kernel));
            kernel(checked(args.K * args.N * args.OutH * args.OutW), x, w, bias, y, args, activation);
        }
    }
}
