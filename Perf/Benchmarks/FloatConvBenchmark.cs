using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Floating-point implicit-GEMM convolution (issue 15): FP16 NHWC halves in, FP16 NHWC out (no bias, no activation, as
/// cuDNN's <c>conv2d</c>), every FP16 variant (<see cref="ConvWgmmaFloat"/> tiles on sm_90, <see cref="ConvMmaFloat"/>
/// tiles, and the automatic choice of each) and the TF32 one (FP32 in, FP32 out), in TFLOPS (2·MACs / median time), on
/// the ResNet-50 layers at batch 32 (<see cref="ConvBenchmark.Layers"/>) and ResNet-18's at batch 256 (<see cref="Layers"/>),
/// beside the path the FP16/TF32 engine ran before (im2col to scratch + <see cref="GemmFloat"/>, float in, float out), with
/// the ratio of the selected variant to cuDNN FP16 / TF32 NHWC (Perf/peers/gemm_conv_peers.py, same device call,
/// <c>--peers FILE</c>). Inputs are pseudo-random halves of magnitude in [0.5, 1) (<see cref="FloatGemmBenchmark.Fill"/>).
/// With the TF32 rows, strict FP32 on the CUDA cores (<see cref="ConvFloatSimt"/> and the tiled kernel it replaced) against
/// cuDNN FP32 strict. Options: <c>--only TEXT</c> (layers whose name contains TEXT), <c>--variant NAME</c>,
/// <c>--input fp16|tf32</c>.
/// </summary>
public sealed class FloatConvBenchmark : IBenchmark
{
    /// <summary>ResNet-18's convolutions at batch 256 (names match the peer script's cases).</summary>
    public static readonly (string Name, ConvProblem Problem)[] Layers =
    [
        ("r18 3x3 64@56 b256", new ConvProblem(256, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)),
        ("r18 3x3/2 64->128@56 b256", new ConvProblem(256, 64, 56, 56, 128, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1)),
        ("r18 1x1/2 64->128@56 b256", new ConvProblem(256, 64, 56, 56, 128, 1, 1, StrideH: 2, StrideW: 2)),
        ("r18 3x3 128@28 b256", new ConvProblem(256, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1)),
        ("r18 3x3 256@14 b256", new ConvProblem(256, 256, 14, 14, 256, 3, 3, PadH: 1, PadW: 1)),
        ("r18 3x3 512@7 b256", new ConvProblem(256, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1)),
    ];

    /// <inheritdoc />
    public string Name => "fp16conv";

    /// <inheritdoc />
    public string Description => "FP16/TF32 implicit-GEMM convolution TFLOPS on ResNet-18 (b256) and ResNet-50 (b32) layers vs cuDNN fp16 / tf32 NHWC and vs im2col + GEMM";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        var device = context.Device;
        if (!device.IsCuda)
        {
            Console.WriteLine("  fp16conv needs CUDA (the tensor-core variants refuse the CPU accelerator); skipped.");
            return;
        }

        string only = context.Option("only", string.Empty), name = context.Option("variant", string.Empty), input = context.Option("input", string.Empty);
        var layers = (context.Quick ? [("quick 3x3 16@8", new ConvProblem(1, 16, 8, 8, 16, 3, 3, PadH: 1, PadW: 1))] : Layers.Concat(ConvBenchmark.Layers))
            .Where(l => l.Name.Contains(only, StringComparison.Ordinal)).ToList();
        foreach (var precision in new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 }.Where(x => input.Length == 0 || x.ToString().Equals(input, StringComparison.OrdinalIgnoreCase)))
        {
            var variants = Candidates(device, precision).Where(v => name.Length == 0 || v.Name == name).ToList();
            foreach (var (caseName, p) in layers)
            {
                RunLayer(context, precision, variants, caseName, p);
            }
        }
    }

    // The automatic variants the device offers, then every fixed tile.
    private static IEnumerable<IFloatConvVariant> Candidates(Kernels.Runtime.Int8Device device, FloatMmaInput input)
    {
        foreach (var v in ConvFloat.Variants(device, input))
        {
            yield return v;
        }

        if (input == FloatMmaInput.Fp16 && GemmWgmmaTn.Supported(device))
        {
            foreach (var (n, s) in new[] { (64, 4), (64, 0), (128, 3), (128, 0), (256, 0) })
            {
                yield return new ConvWgmmaFloat(n, s);
            }

            foreach (var n in new[] { 64, 128, 256 })
            {
                yield return new ConvWgmmaFloat(n, tma: true);
            }
        }

        foreach (var (m, n, s) in new[] { (128, 128, 4), (128, 128, 3), (128, 64, 4), (128, 64, 3) })
        {
            yield return new ConvMmaFloat(input, m, n, s);
        }
    }

    private void RunLayer(BenchContext context, FloatMmaInput precision, List<IFloatConvVariant> variants, string caseName, ConvProblem p)
    {
        var device = context.Device;
        var acc = device.Accelerator;
        bool fp16 = precision == FloatMmaInput.Fp16;
        int eb = ConvFloat.ElementBytes(precision);
        long xBytes = (long)p.N * p.H * p.W * p.C * eb, wBytes = (long)p.K * p.R * p.S * p.C * eb, outputs = (long)p.N * p.P * p.Q * p.K;
        var fill = device.GetKernel("perf.fp16gemm.fill", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int, int>(FloatGemmBenchmark.Fill));
        using var x = acc.Allocate1D<int>(xBytes / 4);
        using var w = acc.Allocate1D<int>(wBytes / 4);
        using var yh = acc.Allocate1D<ushort>(outputs);
        using var yf = acc.Allocate1D<float>(outputs);
        fill((int)x.Length, x.View, 3, fp16 ? 1 : 0);
        fill((int)w.Length, w.View, 4, fp16 ? 1 : 0);
        var xv = x.View.AsContiguous().Cast<sbyte>();
        var wv = w.View.AsContiguous().Cast<sbyte>();
        double Tflops(double ms) => FloatConvBenchmark.Tflops(p, ms);
        string peer = fp16 ? "cuDNN fp16 NHWC" : "cuDNN tf32 NHWC";
        string kind = fp16 ? "fp16" : "tf32";

        // FP16 out for FP16 (the engine's storage), FP32 out for TF32; no bias, no clamp (cuDNN's conv2d).
        void Launch(IFloatConvVariant v)
        {
            if (fp16)
            {
                v.Run(device, xv, wv, p, new HalfOutEpilogue(yh.View, p.K, ArrayView<float>.Empty, FloatEpilogue.NoClamp));
            }
            else
            {
                v.Run(device, xv, wv, p, new FloatOutEpilogue(yf.View, p.K, ArrayView<float>.Empty, FloatEpilogue.NoClamp));
            }
        }

        double best = 0;
        string bestName = "none";
        foreach (var variant in variants.Where(v => v.CanImplement(device, p) is null))
        {
            double ms = context.TimeMedianMs(() => Launch(variant), warmup: 2);
            var plan = variant switch
            {
                ConvMmaFloat { TileM: 0 } m => $" [{m.Choose(p).Name}]",
                ConvWgmmaFloat { TileN: 0 } g => $" [{g.Choose(p).Name}]",
                _ => string.Empty,
            };
            context.Add(new BenchResult(Name, $"{variant.Name}{plan} {caseName}", ms, Tflops(ms), "TFLOPS"));
            if (Tflops(ms) > best)
            {
                (best, bestName) = (Tflops(ms), variant.Name);
            }
        }

        if (variants.Count > 1)
        {
            var selected = ConvFloat.Select(device, precision, p);
            double ms = context.TimeMedianMs(() => Launch(selected), warmup: 1);
            context.Add(new BenchResult(Name, $"selected {kind} ({selected.Name}) {caseName}", ms, Tflops(ms), "TFLOPS"));
            context.AddLabelledPeerRatios(Name, caseName, Tflops(ms), $"selected {kind}", peer);
            context.AddLabelledPeerRatios(Name, caseName, best, $"best {bestName}", peer);
            RunIm2Col(context, precision, caseName, p, Tflops(ms));
        }

        if (!fp16 && variants.Count > 1)
        {
            RunStrict(context, caseName, p, x.View.AsContiguous().Cast<float>(), w.View.AsContiguous().Cast<float>(), yf.View);
        }
    }

    // Strict FP32 on the CUDA cores (the FP32 engine with TF32 off): the register-blocked ConvFloatSimt and the 64×64 tiled
    // kernel it replaced, on the same FP32 data, zero bias, no activation; ratio to cuDNN FP32 strict of the same call.
    private void RunStrict(BenchContext context, string caseName, ConvProblem p, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y)
    {
        using var bias = context.Device.Accelerator.Allocate1D<float>(p.K);
        bias.MemSetToZero();
        double Tflops(double ms) => FloatConvBenchmark.Tflops(p, ms);
        double simtMs = context.TimeMedianMs(() => ConvolutionFloat.Run(context.Device, x, w, bias.View, y, p, ActivationSpec.None), warmup: 1);
        context.Add(new BenchResult(Name, $"strict fp32 conv_f32_simt_{ConvFloatSimt.Tile(context.Device, p).Name} {caseName}", simtMs, Tflops(simtMs), "TFLOPS"));
        context.AddLabelledPeerRatios(Name, caseName, Tflops(simtMs), "strict fp32 simt", "cuDNN fp32 NHWC (strict, TF32 off)");
        double tiledMs = context.TimeMedianMs(() => ConvolutionFloat.Launch(context.Device, x, w, bias.View, y, p, ActivationSpec.None, simtWeights: default), warmup: 1);
        context.Add(new BenchResult(Name, $"strict fp32 conv_f32_tiled (before) {caseName}", tiledMs, Tflops(tiledMs), "TFLOPS", tiledMs / simtMs, "register-blocked speed-up"));
    }

    // The engine's path before: the float NHWC input's im2col rows (halves or floats) into scratch, then the GEMM.
    private void RunIm2Col(BenchContext context, FloatMmaInput precision, string caseName, ConvProblem p, double implicitTflops)
    {
        var device = context.Device;
        var acc = device.Accelerator;
        bool fp16 = precision == FloatMmaInput.Fp16;
        int columns = fp16 ? Im2ColHalf.Columns(p) : Im2ColFloat.Columns(p);
        long m = (long)p.N * p.P * p.Q;
        var gemm = new GemmProblem((int)m, p.K, columns);
        using var x = acc.Allocate1D<float>((long)p.N * p.H * p.W * p.C);
        using var w = acc.Allocate1D<int>((long)p.K * columns * (fp16 ? 2 : 4) / 4);
        using var y = acc.Allocate1D<float>(m * p.K);
        using var ah = fp16 ? acc.Allocate1D<ushort>(m * columns) : null;
        using var af = fp16 ? null : acc.Allocate1D<float>(m * columns);
        x.MemSetToZero();
        w.MemSetToZero();
        var epilogue = new FloatOutEpilogue(y.View, p.K, ArrayView<float>.Empty, FloatEpilogue.NoClamp);
        var variant = GemmFloat.Select(device, precision, gemm);
        var wv = w.View.AsContiguous().Cast<sbyte>();
        double ms = context.TimeMedianMs(
            () =>
            {
                if (fp16)
                {
                    Im2ColHalf.Run(device, x.View, p, ah!.View, columns);
                    variant.Run(device, ah!.View.AsContiguous().Cast<sbyte>(), wv, gemm, epilogue);
                }
                else
                {
                    Im2ColFloat.Run(device, x.View, p, af!.View, columns);
                    variant.Run(device, af!.View.AsContiguous().Cast<sbyte>(), wv, gemm, epilogue);
                }
            },
            warmup: 1);
        double tflops = Tflops(p, ms);
        context.Add(new BenchResult(Name, $"im2col_{(fp16 ? "f16" : "f32")} + {variant.Name} (before) {caseName}", ms, tflops, "TFLOPS", implicitTflops / tflops, "implicit GEMM speed-up"));
    }

    // TFLOPS of a convolution timed at ms: 2·MACs / time.
    private static double Tflops(ConvProblem p, double ms) => 2.0 * p.Macs / (ms * 1e9);
}
