using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Floating-point tensor-core GEMM (issue 15): every FP16 variant (<see cref="GemmWgmmaFloat"/> on sm_90,
/// <see cref="GemmMmaFloat"/>) and the TF32 mma.sync variants on the tensor-core issue's shapes, FP32 out, in TFLOPS
/// (2·M·N·K / median time), with the ratio of the selected and of the best variant to cuBLAS FP16 (<c>torch.matmul</c>
/// half, TN) and cuBLAS TF32 (Perf/peers/gemm_conv_peers.py, same device call, <c>--peers FILE</c>); at 8192³ also
/// FP16 output with bias + ReLU. Operands hold pseudo-random values in ±[0.5, 1) (no NaN, no ∞).
/// Options: <c>--variant NAME</c> (one variant), <c>--input fp16|tf32</c> (one precision).
/// </summary>
public sealed class FloatGemmBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "fp16gemm";

    /// <inheritdoc />
    public string Description => "FP16 (wgmma, mma.sync) and TF32 tensor-core GEMM TFLOPS vs cuBLAS fp16 / tf32";

    /// <summary>
    /// data[i] = a hash of (i, seed) as two halves (FP16) or one float (TF32) of magnitude in [0.5, 1) and random sign:
    /// half bits 0x3800 | 10 random mantissa bits | sign; float bits 0x3F000000 | 23 random bits | sign.
    /// </summary>
    internal static void Fill(Index1D i, ArrayView<int> data, int seed, int fp16)
    {
        uint x = (uint)(int)i * 0x9E3779B1u ^ (uint)seed;
        x ^= x >> 15;
        x *= 0x2C1B3C6Du;
        x ^= x >> 12;
        data[i] = fp16 != 0
            ? (int)((0x38003800u | (x & 0x83FF83FFu)))
            : (int)(0x3F000000u | (x & 0x807FFFFFu));
    }

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        var device = context.Device;
        if (!device.IsCuda)
        {
            Console.WriteLine("  fp16gemm needs CUDA (the tensor-core variants refuse the CPU accelerator); skipped.");
            return;
        }

        var acc = device.Accelerator;
        var fill = device.GetKernel("perf.fp16gemm.fill", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int, int>(Fill));
        string only = context.Option("variant", string.Empty), input = context.Option("input", string.Empty);
        var inputs = new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 }.Where(x => input.Length == 0 || x.ToString().Equals(input, StringComparison.OrdinalIgnoreCase));
        foreach (var precision in inputs)
        {
            int eb = precision == FloatMmaInput.Fp16 ? 2 : 4;
            string peer = precision == FloatMmaInput.Fp16 ? "cuBLAS fp16" : "cuBLAS tf32";
            var variants = GemmFloat.Variants(device, precision).Where(v => only.Length == 0 || v.Name == only).ToList();
            foreach (var (m, n, k) in context.Quick ? [(512, 512, 512)] : TensorCoreGemmBenchmark.Shapes)
            {
                var problem = new GemmProblem(m, n, k);
                using var a = acc.Allocate1D<int>((long)m * k * eb / 4);
                using var b = acc.Allocate1D<int>((long)n * k * eb / 4);
                using var c = acc.Allocate1D<float>((long)m * n);
                fill((int)a.Length, a.View, 1, eb == 2 ? 1 : 0);
                fill((int)b.Length, b.View, 2, eb == 2 ? 1 : 0);
                var av = a.View.AsContiguous().Cast<sbyte>();
                var bv = b.View.AsContiguous().Cast<sbyte>();
                var epilogue = new FloatOutEpilogue(c.View, n, ArrayView<float>.Empty, FloatEpilogue.NoClamp);
                string caseName = $"{m}x{n}x{k}";
                double best = 0;
                string bestName = "none";
                foreach (var variant in variants.Where(v => v.CanImplement(device, problem) is null))
                {
                    double ms = context.TimeMedianMs(() => variant.Run(device, av, bv, problem, epilogue), warmup: 2);
                    double tflops = 2.0 * problem.Macs / (ms * 1e9);
                    if (tflops > best)
                    {
                        (best, bestName) = (tflops, variant.Name);
                    }

                    context.Add(new BenchResult(Name, $"{variant.Name} {caseName}", ms, tflops, "TFLOPS"));
                }

                if (only.Length == 0)
                {
                    var selected = GemmFloat.Select(device, precision, problem);
                    double selectedMs = context.TimeMedianMs(() => selected.Run(device, av, bv, problem, epilogue), warmup: 1);
                    double selectedTflops = 2.0 * problem.Macs / (selectedMs * 1e9);
                    context.Add(new BenchResult(Name, $"selected {precision} ({selected.Name}) {caseName}", selectedMs, selectedTflops, "TFLOPS"));
                    context.AddLabelledPeerRatios(Name, caseName, selectedTflops, $"selected {selected.Name}", peer);
                }

                context.AddLabelledPeerRatios(Name, caseName, best, $"best {bestName}", peer);
                if (precision == FloatMmaInput.Fp16 && m == 8192 && n == 8192 && k == 8192)
                {
                    RunHalfOut(context, variants, av, bv, problem, caseName);
                }
            }
        }
    }

    // FP16 output with a bias and ReLU at 8192³ (the layer epilogue of an FP16 engine).
    private void RunHalfOut(BenchContext context, List<IFloatGemmVariant> variants, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, string caseName)
    {
        var acc = context.Device.Accelerator;
        using var y = acc.Allocate1D<ushort>((long)problem.M * problem.N);
        using var bias = acc.Allocate1D(Enumerable.Range(0, problem.N).Select(i => ((i % 100) - 50) * 0.01f).ToArray());
        var epilogue = new HalfOutEpilogue(y.View, problem.N, bias.View, FloatEpilogue.Relu);
        foreach (var variant in variants.Where(v => v.CanImplement(context.Device, problem) is null))
        {
            double ms = context.TimeMedianMs(() => variant.Run(context.Device, a, b, problem, epilogue), warmup: 2);
            context.Add(new BenchResult(Name, $"{variant.Name} {caseName} bias+relu fp16 out", ms, 2.0 * problem.Macs / (ms * 1e9), "TFLOPS"));
        }
    }
}
