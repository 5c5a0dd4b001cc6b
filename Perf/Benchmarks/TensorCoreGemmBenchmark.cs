using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Tensor-core INT8 GEMM (issue 4): every <see cref="GemmMmaTn"/> variant on square and small-M shapes, int32 out,
/// in TOPS (2·M·N·K / time) with the ratio to the mma.sync ceiling measured in the same run and to torch._int_mm and
/// cuBLAS FP16 (Perf/peers/gemm_conv_peers.py, same device call, <c>--peers FILE</c>); at 8192³ also the fused
/// requantize (int8 out) and dequantize (float out) epilogues. Operands hold pseudo-random bytes (not zeros).
/// </summary>
public sealed class TensorCoreGemmBenchmark : IBenchmark
{
    /// <summary>Shapes (M, N, K) of issue 4.</summary>
    public static readonly (int M, int N, int K)[] Shapes =
        [(4096, 4096, 4096), (8192, 8192, 8192), (16384, 16384, 16384), (256, 8192, 8192), (1024, 8192, 8192)];

    /// <inheritdoc />
    public string Name => "tcgemm";

    /// <inheritdoc />
    public string Description => "tensor-core INT8 GEMM TOPS vs the mma.sync ceiling, torch._int_mm and cuBLAS fp16";

    /// <summary>data[i] = a hash of (i, seed): every byte pseudo-random.</summary>
    internal static void Fill(Index1D i, ArrayView<int> data, int seed)
    {
        uint x = (uint)(int)i * 0x9E3779B1u ^ (uint)seed;
        x ^= x >> 15;
        x *= 0x2C1B3C6Du;
        x ^= x >> 12;
        data[i] = (int)x;
    }

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        if (!context.Ceilings.ContainsKey(CeilingsBenchmark.Mma))
        {
            new CeilingsBenchmark().Run(context);
        }

        var device = context.Device;
        var acc = device.Accelerator;
        if (!device.IsCuda)
        {
            Console.WriteLine("  tcgemm needs CUDA (the tensor-core variants refuse the CPU accelerator); skipped.");
            return;
        }

        var fill = device.GetKernel("perf.tcgemm.fill", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int>(Fill));
        var only = context.Option("variant", string.Empty);
        var shapes = context.Quick ? [(512, 512, 512)] : Shapes;
        var variants = GemmVariants.All.OfType<GemmMmaTn>().Where(v => only.Length == 0 || v.Name == only).ToList();
        foreach (var (m, n, k) in shapes)
        {
            var problem = new GemmProblem(m, n, k);
            using var a = acc.Allocate1D<sbyte>((long)m * k);
            using var b = acc.Allocate1D<sbyte>((long)n * k);
            using var c = acc.Allocate1D<int>((long)m * n);
            fill((int)(a.Length / 4), a.View.AsContiguous().Cast<int>(), 1);
            fill((int)(b.Length / 4), b.View.AsContiguous().Cast<int>(), 2);
            string caseName = $"{m}x{n}x{k}";
            double best = 0;
            foreach (var variant in variants)
            {
                double ms = context.TimeMedianMs(() => variant.Run(device, a.View, b.View, problem, new Int32Epilogue(c.View, n)), warmup: 2);
                double tops = 2.0 * problem.Macs / (ms * 1e9);
                best = Math.Max(best, tops);
                context.Add(new BenchResult(Name, $"{variant.Name} {caseName}", ms, tops, "TOPS", tops / context.Ceilings[CeilingsBenchmark.Mma], CeilingsBenchmark.Mma));
            }

            // The selected variant (what GemmS8 picks by default) and the best, against the peers.
            var selected = GemmVariants.Select(device, problem);
            double selectedMs = context.TimeMedianMs(() => GemmS8.Int32(device, a.View, b.View, c.View, problem), warmup: 1);
            double selectedTops = 2.0 * problem.Macs / (selectedMs * 1e9);
            context.Add(new BenchResult(Name, $"selected ({selected.Name}) {caseName}", selectedMs, selectedTops, "TOPS"));
            context.AddLabelledPeerRatios(Name, caseName, selectedTops, $"selected {selected.Name}", "torch._int_mm (cuBLASLt int8 TN)", "cuBLAS fp16");
            context.AddLabelledPeerRatios(Name, caseName, best, $"best of {variants.Count}", "torch._int_mm (cuBLASLt int8 TN)", "cuBLAS fp16");

            if (m == 8192 && n == 8192 && k == 8192)
            {
                RunEpilogues(context, variants, a.View, b.View, problem, caseName);
            }
        }
    }

    private void RunEpilogues(BenchContext context, List<GemmMmaTn> variants, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, string caseName)
    {
        var device = context.Device;
        var acc = device.Accelerator;
        int n = problem.N;
        using var y8 = acc.Allocate1D<sbyte>((long)problem.M * n);
        using var yf = acc.Allocate1D<float>((long)problem.M * n);
        using var multiplier = acc.Allocate1D(Enumerable.Repeat(1e-4f, n).ToArray());
        using var bias = acc.Allocate1D(Enumerable.Range(0, n).Select(i => (i % 100) - 50).ToArray());
        foreach (var variant in variants)
        {
            double ms = context.TimeMedianMs(() => variant.Run(device, a, b, problem, new RequantizeEpilogue(y8.View, n, multiplier.View, bias.View, 0)), warmup: 2);
            double tops = 2.0 * problem.Macs / (ms * 1e9);
            context.Add(new BenchResult(Name, $"{variant.Name} {caseName} requant+relu int8", ms, tops, "TOPS", tops / context.Ceilings[CeilingsBenchmark.Mma], CeilingsBenchmark.Mma));
            ms = context.TimeMedianMs(() => variant.Run(device, a, b, problem, new DequantizeEpilogue(yf.View, n, multiplier.View, 0f)), warmup: 2);
            tops = 2.0 * problem.Macs / (ms * 1e9);
            context.Add(new BenchResult(Name, $"{variant.Name} {caseName} dequant f32", ms, tops, "TOPS", tops / context.Ceilings[CeilingsBenchmark.Mma], CeilingsBenchmark.Mma));
        }
    }
}
