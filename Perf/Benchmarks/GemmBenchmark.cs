using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// INT8 GEMM (int32 output) of every registered variant that can run the shape, in TOPS (2·M·N·K / time), with the
/// ratio to the dp4a instruction ceiling measured in the same run, on random int8 operands (as the peers). The peers
/// (torch._int_mm, cuBLAS FP16) run from Perf/peers/gemm_conv_peers.py in the same device call; the headline ratio is
/// the variant the library selects (<see cref="GemmVariants.Select"/>), the best of the variants beside it, labelled. <c>--sweep</c> adds every dp4a tile × split-K count on
/// shapes whose 128×128 grid underfills the GPU (the data the planner's constants come from).
/// </summary>
public sealed class GemmBenchmark : IBenchmark
{
    /// <summary>The shapes of issue 3 (M, N, K).</summary>
    public static readonly (int M, int N, int K)[] Shapes =
        [(8192, 8192, 8192), (4096, 4096, 4096), (256, 8192, 8192), (50176, 64, 576), (3136, 256, 2304)];

    /// <inheritdoc />
    public string Name => "gemm";

    /// <inheritdoc />
    public string Description => "INT8 GEMM TOPS per variant vs the dp4a / mma.sync ceilings (issue 3 shapes); --sweep: tiles × split-K";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        if (!context.Ceilings.ContainsKey(CeilingsBenchmark.Dp4a))
        {
            new CeilingsBenchmark().Run(context);
        }

        var device = context.Device;
        var acc = device.Accelerator;
        var only = context.Option("variant", string.Empty);
        bool sweep = context.Option("sweep", "no") != "no";
        var shapes = context.Quick ? [(64, 64, 64)] : Shapes;
        foreach (var (m, n, k) in shapes)
        {
            var problem = new GemmProblem(m, n, k);
            using var a = acc.Allocate1D<sbyte>((long)m * k);
            using var b = acc.Allocate1D<sbyte>((long)n * k);
            using var c = acc.Allocate1D<int>((long)m * n);
            // Random bytes, as the torch peer's torch.randint operands (zeros draw less power and run faster).
            var fill = device.GetKernel("perf.tcgemm.fill", l => l.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int>(TensorCoreGemmBenchmark.Fill));
            fill((int)(a.Length / 4), a.View.AsContiguous().Cast<int>(), 1);
            fill((int)(b.Length / 4), b.View.AsContiguous().Cast<int>(), 2);
            double best = 0;
            var bestName = string.Empty;
            foreach (var variant in GemmVariants.All)
            {
                if ((only.Length > 0 && variant.Name != only) || variant.CanImplement(device, problem) is not null)
                {
                    continue;
                }

                // The untiled fallback is far too slow for the big shapes: measure it on the smallest only.
                if (variant is GemmDp4aSimple && problem.Macs > (1L << 33))
                {
                    continue;
                }

                double ms = context.TimeMedianMs(() => GemmS8.Int32(device, a.View, b.View, c.View, problem, variant.Name), warmup: 1);
                double tops = 2.0 * problem.Macs / (ms * 1e9);
                var plan = variant is GemmDp4aTiled tiled ? $" [{tiled.Plan(device, problem)}]" : string.Empty;
                var ceiling = variant.Name.Contains("mma", StringComparison.Ordinal) ? CeilingsBenchmark.Mma : CeilingsBenchmark.Dp4a;
                context.Add(new BenchResult(Name, $"{variant.Name}{plan} {m}x{n}x{k}", ms, tops, "TOPS", tops / context.Ceilings[ceiling], ceiling));
                if (tops > best)
                {
                    (best, bestName) = (tops, variant.Name);
                }
            }

            // The headline: the variant GemmS8 selects by default, against the peers; the best of the variants beside it.
            var selected = GemmVariants.Select(device, problem);
            double selectedMs = context.TimeMedianMs(() => GemmS8.Int32(device, a.View, b.View, c.View, problem), warmup: 1);
            double selectedTops = 2.0 * problem.Macs / (selectedMs * 1e9);
            context.Add(new BenchResult(Name, $"selected ({selected.Name}) {m}x{n}x{k}", selectedMs, selectedTops, "TOPS"));
            context.AddLabelledPeerRatios(Name, $"{m}x{n}x{k}", selectedTops, $"selected {selected.Name}", "torch._int_mm (cuBLASLt int8 TN)", "cuBLAS fp16");
            context.AddLabelledPeerRatios(Name, $"{m}x{n}x{k}", best, $"best of the variants ({bestName})", "torch._int_mm (cuBLASLt int8 TN)", "cuBLAS fp16");
            if (sweep && !context.Quick && (long)((m + 127) / 128) * ((n + 127) / 128) < 4L * acc.NumMultiprocessors)
            {
                Sweep(context, problem, a.View, b.View, c.View);
            }
        }
    }

    private void Sweep(BenchContext context, GemmProblem problem, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<int> c)
    {
        var device = context.Device;
        foreach (var tile in Dp4aTile.All)
        {
            foreach (int splits in new[] { 1, 2, 3, 4, 6, 8 })
            {
                var plan = Dp4aPlan.Create(tile, problem.K, splits);
                if (plan.Splits != splits)
                {
                    continue;
                }

                double ms = context.TimeMedianMs(() => GemmDp4aTiled.Launch(device, a, b, problem, new Int32Epilogue(c, problem.N), plan), warmup: 1);
                double tops = 2.0 * problem.Macs / (ms * 1e9);
                double model = Dp4aPlanner.Cycles(plan, problem.M, problem.N, 1, device.Accelerator.NumMultiprocessors) / 1.98e6;
                context.Add(new BenchResult(Name, $"  sweep {plan} {problem.M}x{problem.N}x{problem.K} model {model:F3} ms", ms, tops, "TOPS", tops / context.Ceilings[CeilingsBenchmark.Dp4a], CeilingsBenchmark.Dp4a));
            }
        }
    }
}
