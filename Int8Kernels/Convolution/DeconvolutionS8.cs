using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Int8 transposed convolution, gathered: one thread per output (n, oh, ow, k) sums the taps that reach it,
/// ih = (oh + ph − r·dh) / sh when divisible and in range (likewise iw), acc = Σ x[n, ih, iw, g·Cg + c]·w[k][r][s][c],
/// then the epilogue at row (n·OutH + oh)·OutW + ow, column k. NHWC in and out; weights [K][R][S][C/groups].
/// </summary>
public sealed class DeconvolutionS8 : IDisposable
{
    private readonly MemoryBuffer1D<sbyte, Stride1D.Dense> _weights;

    /// <summary>Uploads the weights of a problem once.</summary>
    public DeconvolutionS8(Int8Device device, ReadOnlySpan<sbyte> krsc, DeconvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        long need = (long)problem.K * problem.R * problem.S * problem.CPerGroup;
        if (krsc.Length != need)
        {
            throw new ArgumentException($"Weights have {krsc.Length} values; [K][R][S][C/groups] needs {need}.", nameof(krsc));
        }

        Device = device;
        Problem = problem;
        _weights = device.Accelerator.Allocate1D(krsc.ToArray());
    }

    /// <summary>The device.</summary>
    public Int8Device Device { get; }

    /// <summary>The problem the weights belong to.</summary>
    public DeconvProblem Problem { get; }

    /// <summary>Runs with any epilogue (rows = output pixels, columns = output channels); validates x first.</summary>
    public void Run<TEpilogue>(ArrayView<sbyte> x, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var p = Problem;
        long need = (long)p.N * p.H * p.W * p.C;
        if (x.Length < need)
        {
            throw new ArgumentException($"x has {x.Length} values; NHWC [{p.N}, {p.H}, {p.W}, {p.C}] needs {need}.", nameof(x));
        }

        var kernel = Device.GetKernel("deconv.s8." + typeof(TEpilogue).FullName, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, Args, TEpilogue>(Kernel));
        var args = new Args(p.N, p.C, p.H, p.W, p.K, p.R, p.S, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilationH, p.DilationW, p.CPerGroup, p.KPerGroup, p.OutH, p.OutW);
        kernel(new Index1D(p.K * p.N * p.OutH * p.OutW), x, _weights.View, args, epilogue);
    }

    /// <summary>Int32 output NHWC [N, OutH, OutW, K].</summary>
    public void RunInt32(ArrayView<sbyte> x, ArrayView<int> y)
    {
        long need = (long)Problem.N * Problem.OutH * Problem.OutW * Problem.K;
        if (y.Length < need)
        {
            throw new ArgumentException($"y has {y.Length} values; {need} are needed.", nameof(y));
        }

        Run(x, new Int32Epilogue(y, Problem.K));
    }

    /// <summary>Thread m·K + k, m = (n·OutH + oh)·OutW + ow.</summary>
    internal static void Kernel<TEpilogue>(Index1D index, ArrayView<sbyte> x, ArrayView<sbyte> w, Args a, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        int m = index.X / a.K, k = index.X - (m * a.K);
        int ow = m % a.OutW;
        int oh = (m / a.OutW) % a.OutH;
        int n = m / (a.OutW * a.OutH);
        int group = k / a.KPerGroup;
        int acc = 0;
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

        epilogue.Apply(m, k, acc);
    }

    /// <inheritdoc />
    public void Dispose() => _weights.Dispose();

    /// <summary>Kernel arguments.</summary>
    internal readonly record struct Args(
        int N, int C, int H, int W, int K, int R, int S, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW,
        int CPerGroup, int KPerGroup, int OutH, int OutW);
}
