using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// FP32 direct convolution, NHWC in and out, weights KRSC [K][R][S][C/groups], bias and activation fused:
/// y[n, p, q, k] = f(bias[k] + Σ_{r,s,c &lt; C/g} x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, g·Cg + c] · w[k][r][s][c]),
/// g = k / (K/groups), taps outside the image count zero. The sum runs r, s, c in order from bias[k].
/// Ungrouped convolutions with C a multiple of 4 and 16-byte aligned views run the register-blocked implicit GEMM
/// (<see cref="ConvFloatSimt"/>), other ungrouped ones the smaller tiled one (<see cref="ConvolutionFloatTiled"/>; also
/// everywhere when <c>ILGPUINT8_FP32_CONV=tiled</c>, for A/B runs), grouped ones one thread per output; all sum in the
/// same order, so they give the same bits. A fully connected layer is the 1×1 case on [N, 1, 1, C·H·W].
/// </summary>
public static class ConvolutionFloat
{
    /// <summary>Launches (asynchronous). <paramref name="bias"/> holds K values (zeros for no bias).</summary>
    public static void Run(
        Int8Device device, ArrayView<float> x, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> y, ConvProblem problem, ActivationSpec activation)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        activation.Validate(nameof(activation));
        OpArgs.AtLeast(x.Length, (long)problem.N * problem.H * problem.W * problem.C, nameof(x));
        OpArgs.AtLeast(weights.Length, (long)problem.K * problem.R * problem.S * problem.CPerGroup, nameof(weights));
        OpArgs.AtLeast(bias.Length, problem.K, nameof(bias));
        OpArgs.AtLeast(y.Length, (long)problem.N * problem.P * problem.Q * problem.K, nameof(y));
        Launch(device, x, weights, bias, y, problem, activation, Simt(problem, x, weights, problem.R * problem.S * problem.CPerGroup) ? weights : default);
    }

    /// <summary>
    /// As <see cref="Run"/>, with the weights also in rows of R·S·C padded to a multiple of 4 floats
    /// (<see cref="ConvFloatSimt.WeightStride"/>, zeros after each row): the register-blocked kernel then runs problems
    /// whose R·S·C is not a multiple of 4 (the RGB stem).
    /// </summary>
    internal static void RunPadded(
        Int8Device device, ArrayView<float> x, ArrayView<float> weights, ArrayView<float> paddedWeights, ArrayView<float> bias, ArrayView<float> y, ConvProblem problem, ActivationSpec activation)
    {
        bool simt = Simt(problem, x, paddedWeights, ConvFloatSimt.WeightStride(problem));
        Launch(device, x, weights, bias, y, problem, activation, simt ? paddedWeights : default);
    }

    // The register-blocked kernel unless ILGPUINT8_FP32_CONV=tiled, where it can run.
    private static bool Simt(ConvProblem problem, ArrayView<float> x, ArrayView<float> weights, int stride) =>
        weights.Length > 0 && !TiledForced && ConvFloatSimt.CanImplement(problem, x, weights, stride) is null;

    /// <summary>
    /// Launches the register-blocked kernel on <paramref name="simtWeights"/> (rows of <see cref="ConvFloatSimt.WeightStride"/>
    /// floats) when that view is not empty, else the others on the dense <paramref name="weights"/> (tests: both).
    /// </summary>
    internal static void Launch(
        Int8Device device, ArrayView<float> x, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> y, ConvProblem problem, ActivationSpec activation, ArrayView<float> simtWeights)
    {
        var launcher = new Launcher(device, x, simtWeights.Length > 0 ? simtWeights : weights, bias, y, problem, simtWeights.Length > 0);
        activation.Accept(ref launcher);
    }

    /// <summary>
    /// <c>tiled</c>: the 64×64 tiled kernel where the register-blocked one would run (A/B runs); <c>simt</c>: the engine's
    /// FP32 convolutions with R·S·C not a multiple of 4 (the RGB stem) also run the register-blocked kernel on CUDA
    /// (opt-in until that path has run on a GPU).
    /// </summary>
    internal const string TiledEnvironmentVariable = "ILGPUINT8_FP32_CONV";

    /// <summary><c>ILGPUINT8_FP32_CONV=tiled</c>: the tiled kernel where the register-blocked one could run.</summary>
    internal static bool TiledForced => Environment.GetEnvironmentVariable(TiledEnvironmentVariable) == "tiled";

    /// <summary><c>ILGPUINT8_FP32_CONV=simt</c>: the RGB stem on the register-blocked kernel on CUDA too (opt-in).</summary>
    internal static bool PaddedOnCuda => Environment.GetEnvironmentVariable(TiledEnvironmentVariable) == "simt";

    /// <summary>Thread index = m·K + k, m = (n·P + p)·Q + q.</summary>
    internal static void Kernel<TAct>(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvGeometry g, TAct act)
        where TAct : struct, IActivation
    {
        int k = index % g.K, m = index / g.K;
        var pixel = ConvPixel.Decode(m, g);
        int group = k / g.KPerGroup;
        long row = (long)k * g.GemmK;
        float acc = bias[k];
        for (int r = 0; r < g.R; r++)
        {
            int h = pixel.H0 + (r * g.DilationH);
            if (h < 0 || h >= g.H)
            {
                continue;
            }

            for (int s = 0; s < g.S; s++)
            {
                int ww = pixel.W0 + (s * g.DilationW);
                if (ww < 0 || ww >= g.W)
                {
                    continue;
                }

                long xBase = ((((long)pixel.N * g.H) + h) * g.W + ww) * g.C + (group * g.CPerGroup);
                long wBase = row + (((r * g.S) + s) * g.CPerGroup);
                for (int c = 0; c < g.CPerGroup; c++)
                {
                    acc += x[xBase + c] * w[wBase + c];
                }
            }
        }

        y[((long)m * g.K) + k] = act.Apply(acc);
    }

    private readonly struct Launcher(Int8Device device, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvProblem problem, bool simt) : IActivationVisitor
    {
        public void Visit<TAct>(TAct activation)
            where TAct : struct, IActivation
        {
            if (simt)
            {
                ConvFloatSimt.Run(device, x, w, ConvFloatSimt.WeightStride(problem), bias, y, problem, activation);
                return;
            }

            var g = ConvGeometry.From(problem);
            if (g.CPerGroup == g.C)
            {
                var tiled = device.GetKernel("conv.f32.tiled." + typeof(TAct).Name, a =>
                    a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry, TAct>(ConvolutionFloatTiled.Kernel));
                tiled(ConvolutionFloatTiled.Config(g), x, w, bias, y, g, activation);
                return;
            }

            var kernel = device.GetKernel("conv.f32.direct." + typeof(TAct).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry, TAct>(Kernel));
            kernel(checked(g.K * g.GemmM), x, w, bias, y, g, activation);
        }
    }
}
