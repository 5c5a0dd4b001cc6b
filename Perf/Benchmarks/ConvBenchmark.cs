using System.Runtime.InteropServices;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// INT8 convolution (NHWC, int32 out, random data) on the ResNet-50 layers at batch 32, TOPS (2·MACs / time) per
/// variant as a fraction of the dp4a or mma.sync ceiling, with ratios of the variant the operator selects to cuDNN FP32
/// and FP16 (NHWC) measured by Perf/peers/gemm_conv_peers.py in the same device call; the tensor-core variant's int8
/// requantize epilogue is timed too. <c>--sweep</c> adds every dp4a tile × split-K count; <c>--only TEXT</c> times only
/// the variants whose name contains TEXT.
/// </summary>
public sealed class ConvBenchmark : IBenchmark
{
    /// <summary>The layers (name, problem); names match the peer script's cases.</summary>
    public static readonly (string Name, ConvProblem Problem)[] Layers =
    [
        ("r50 3x3 64@56", new ConvProblem(32, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)),
        ("r50 3x3 128@28", new ConvProblem(32, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1)),
        ("r50 3x3 256@14", new ConvProblem(32, 256, 14, 14, 256, 3, 3, PadH: 1, PadW: 1)),
        ("r50 3x3 512@7", new ConvProblem(32, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1)),
        ("r50 1x1 256->64@56", new ConvProblem(32, 256, 56, 56, 64, 1, 1)),
    ];

    /// <inheritdoc />
    public string Name => "conv";

    /// <inheritdoc />
    public string Description => "INT8 convolution TOPS on ResNet-50 layers (batch 32) vs cuDNN FP32/FP16; --sweep: tiles × split-K";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        if (!context.Ceilings.ContainsKey(CeilingsBenchmark.Dp4a) || !context.Ceilings.ContainsKey(CeilingsBenchmark.Mma))
        {
            new CeilingsBenchmark().Run(context);
        }

        var device = context.Device;
        var acc = device.Accelerator;
        bool sweep = context.Option("sweep", "no") != "no";
        var layers = context.Quick ? [("quick 3x3 16@8", new ConvProblem(1, 16, 8, 8, 16, 3, 3, PadH: 1, PadW: 1))] : Layers;
        string only = context.Option("only", string.Empty);
        var random = new Random(1);
        foreach (var (name, p) in layers)
        {
            var hostX = new sbyte[(long)p.N * p.H * p.W * p.C];
            var hostW = new sbyte[p.K * p.R * p.S * p.CPerGroup];
            random.NextBytes(MemoryMarshal.AsBytes(hostX.AsSpan()));
            random.NextBytes(MemoryMarshal.AsBytes(hostW.AsSpan()));
            using var x = acc.Allocate1D(hostX);
            using var y = acc.Allocate1D<int>((long)p.N * p.P * p.Q * p.K);
            using var weights = new PackedConvWeights(device, hostW, p);
            var selected = ConvVariants.Select(device, p, TensorFormat.NHWC);
            double best = 0;
            foreach (var variant in ConvVariants.All)
            {
                if (variant.CanImplement(device, p, TensorFormat.NHWC) is not null || (variant is ConvDirect && !context.Quick)
                    || (variant != selected && !variant.Name.Contains(only, StringComparison.Ordinal)))
                {
                    continue;
                }

                double ms = context.TimeMedianMs(() => ConvS8.Int32(device, x.View, TensorFormat.NHWC, weights, p, y.View, variant.Name), warmup: 1);
                double tops = 2.0 * p.Macs / (ms * 1e9);
                var plan = variant switch
                {
                    ConvDp4aImplicitGemm igemm => $" [{igemm.Plan(device, p)}]",
                    ConvMmaAuto auto => $" [{auto.Choose(device, p).Name}]",
                    _ => string.Empty,
                };
                string ceiling = variant is ConvMma or ConvMmaAuto ? CeilingsBenchmark.Mma : CeilingsBenchmark.Dp4a;
                context.Add(new BenchResult(Name, $"{variant.Name}{plan} {name}", ms, tops, "TOPS", tops / context.Ceilings[ceiling], ceiling));
                if (variant == selected)
                {
                    best = tops;
                }
            }

            if (selected is ConvMmaAuto)
            {
                // The fused int8 requantize epilogue (per-channel multiplier and bias, ReLU) on the selected variant.
                using var y8 = acc.Allocate1D<sbyte>((long)p.N * p.P * p.Q * p.K);
                using var multiplier = acc.Allocate1D(Enumerable.Repeat(1e-4f, p.K).ToArray());
                using var bias = acc.Allocate1D(new int[p.K]);
                double ms = context.TimeMedianMs(() => ConvS8.Requantize(device, x.View, TensorFormat.NHWC, weights, p, y8.View, multiplier.View, bias.View, relu: true), warmup: 1);
                double tops = 2.0 * p.Macs / (ms * 1e9);
                context.Add(new BenchResult(Name, $"{selected.Name} requantize+relu {name}", ms, tops, "TOPS", tops / context.Ceilings[CeilingsBenchmark.Mma], CeilingsBenchmark.Mma));
            }

            context.AddPeerRatios(Name, name, best, "cuDNN fp32 NHWC", "cuDNN fp16 NHWC");
            if (sweep && !context.Quick)
            {
                foreach (var tile in Dp4aTile.All)
                {
                    foreach (int splits in new[] { 1, 2, 3, 4, 6 })
                    {
                        var plan = Dp4aPlan.Create(tile, p.R * p.S * p.CPerGroup, splits);
                        if (plan.Splits != splits)
                        {
                            continue;
                        }

                        double ms = context.TimeMedianMs(() => ConvDp4aImplicitGemm.Launch(device, x.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(y.View, p.K), plan), warmup: 1);
                        double tops = 2.0 * p.Macs / (ms * 1e9);
                        double model = Dp4aPlanner.Cycles(plan, p.N * p.P * p.Q, p.KPerGroup, p.Groups, acc.NumMultiprocessors) / 1.98e6;
                        context.Add(new BenchResult(Name, $"  sweep {plan} {name} model {model:F3} ms", ms, tops, "TOPS", tops / context.Ceilings[CeilingsBenchmark.Dp4a], CeilingsBenchmark.Dp4a));
                    }
                }
            }
        }
    }
}
