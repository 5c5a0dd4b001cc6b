using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Hopper wgmma INT8 GEMM (issue 13): each <see cref="GemmWgmmaTn"/> tile and the best mma.sync variant on the issue's
/// shapes, int32 out, in TOPS (2·M·N·K / median time) with the ratio to the wgmma ceiling of the same run and to
/// torch._int_mm and cuBLAS FP16 (Perf/peers/gemm_conv_peers.py, same device call, <c>--peers FILE</c>); the headline
/// per shape is the variant the library selects (<see cref="GemmVariants.Select"/>). At 8192³ also the requantize,
/// dequantize and residual-add epilogues. Operands hold pseudo-random bytes.
/// </summary>
public sealed class WgmmaGemmBenchmark : IBenchmark
{
    /// <summary>Shapes (M, N, K) of issue 13.</summary>
    public static readonly (int M, int N, int K)[] Shapes =
        [(8192, 8192, 8192), (4096, 4096, 4096), (1024, 8192, 8192), (256, 8192, 8192), (16384, 16384, 16384)];

    /// <inheritdoc />
    public string Name => "wgmma";

    /// <inheritdoc />
    public string Description => "Hopper wgmma INT8 GEMM TOPS vs the wgmma ceiling, the mma.sync kernels, torch._int_mm and cuBLAS fp16";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        var device = context.Device;
        if (!GemmWgmmaTn.Supported(device))
        {
            Console.WriteLine("  wgmma needs a CUDA device of compute capability 9.0; skipped.");
            return;
        }

        if (!context.Ceilings.ContainsKey(CeilingsBenchmark.Wgmma))
        {
            new CeilingsBenchmark().Run(context);
        }

        double ceiling = context.Ceilings.GetValueOrDefault(CeilingsBenchmark.Wgmma, double.NaN);
        var acc = device.Accelerator;
        var fill = device.GetKernel("perf.tcgemm.fill", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int>(TensorCoreGemmBenchmark.Fill));
        var variants = GemmVariants.All.Where(v => v is GemmWgmmaTn || v is GemmMmaTn).ToList();
        foreach (var (m, n, k) in context.Quick ? [(512, 512, 512)] : Shapes)
        {
            var problem = new GemmProblem(m, n, k);
            using var a = acc.Allocate1D<sbyte>((long)m * k);
            using var b = acc.Allocate1D<sbyte>((long)n * k);
            using var c = acc.Allocate1D<int>((long)m * n);
            fill((int)(a.Length / 4), a.View.AsContiguous().Cast<int>(), 1);
            fill((int)(b.Length / 4), b.View.AsContiguous().Cast<int>(), 2);
            string caseName = $"{m}x{n}x{k}";
            foreach (var variant in variants.Where(v => v.CanImplement(device, problem) is null))
            {
                double ms = context.TimeMedianMs(() => variant.Run(device, a.View, b.View, problem, new Int32Epilogue(c.View, n)), warmup: 2);
                double tops = 2.0 * problem.Macs / (ms * 1e9);
                context.Add(new BenchResult(Name, $"{variant.Name} {caseName}", ms, tops, "TOPS", tops / ceiling, CeilingsBenchmark.Wgmma));
            }

            var selected = GemmVariants.Select(device, problem);
            double selectedMs = context.TimeMedianMs(() => GemmS8.Int32(device, a.View, b.View, c.View, problem), warmup: 1);
            double selectedTops = 2.0 * problem.Macs / (selectedMs * 1e9);
            context.Add(new BenchResult(Name, $"selected ({selected.Name}) {caseName}", selectedMs, selectedTops, "TOPS", selectedTops / ceiling, CeilingsBenchmark.Wgmma));
            context.AddLabelledPeerRatios(Name, caseName, selectedTops, $"selected {selected.Name}", "torch._int_mm (cuBLASLt int8 TN)", "cuBLAS fp16");
            if (m == 8192 && n == 8192 && k == 8192)
            {
                RunEpilogues(context, selected, a.View, b.View, problem, caseName);
            }
        }
    }

    private void RunEpilogues(BenchContext context, IGemmVariant variant, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, string caseName)
    {
        var device = context.Device;
        var acc = device.Accelerator;
        int n = problem.N;
        using var y8 = acc.Allocate1D<sbyte>((long)problem.M * n);
        using var skip = acc.Allocate1D<sbyte>((long)problem.M * n);
        using var yf = acc.Allocate1D<float>((long)problem.M * n);
        using var multiplier = acc.Allocate1D(Enumerable.Repeat(1e-4f, n).ToArray());
        using var bias = acc.Allocate1D(Enumerable.Range(0, n).Select(i => (i % 100) - 50).ToArray());
        skip.MemSet(3);
        (string Label, Action Launch)[] cases =
        [
            ("requant+relu int8", () => variant.Run(device, a, b, problem, new RequantizeEpilogue(y8.View, n, multiplier.View, bias.View, 0))),
            ("dequant f32", () => variant.Run(device, a, b, problem, new DequantizeEpilogue(yf.View, n, multiplier.View, 0f))),
            ("residual+relu int8", () => variant.Run(device, a, b, problem, new ResidualRequantizeEpilogue(y8.View, n, multiplier.View, bias.View, 0, skip.View, n, 0.5f))),
        ];
        foreach (var (label, launch) in cases)
        {
            double ms = context.TimeMedianMs(launch, warmup: 2);
            double tops = 2.0 * problem.Macs / (ms * 1e9);
            context.Add(new BenchResult(Name, $"{variant.Name} {caseName} {label}", ms, tops, "TOPS", tops / context.Ceilings.GetValueOrDefault(CeilingsBenchmark.Wgmma, double.NaN), CeilingsBenchmark.Wgmma));
        }
    }
}
