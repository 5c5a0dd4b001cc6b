using System.Runtime.InteropServices;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// INT8 convolution (NHWC, int32 out, random data) on the ResNet-50 layers at batch 32, TOPS (2·MACs / time) per
/// variant as a fraction of the dp4a or mma.sync ceiling, with ratios of the variant the operator selects to cuDNN FP32
/// and FP16 (NHWC) measured by Perf/peers/gemm_conv_peers.py in the same device call; the tensor-core variant's int8
/// requantize epilogue is timed too. <c>--sweep</c> adds every dp4a tile × split-K count; <c>--only TEXT</c> times only
/// the variants whose name contains TEXT, <c>--layer TEXT</c> only the layers whose name contains it (a single layer for a
/// profiler); <c>--halo-ablate</c> times the halo-tile kernel without each of its steps
/// (diagnostic builds, wrong results). The ResNet-18 stem (batch 256, 224×224×3, 7×7/2, K = 64, int8 requantize out) is
/// timed as the engine runs it, <see cref="Im2Col"/> + the 1×1 convolution of the im2col matrix, each part alone, and as
/// it ran before (channel pad 3 → 4 + implicit GEMM on C = 4), with ratios to cuDNN (peer case "r18 stem 7x7/2 3->64@224").
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

    /// <summary>
    /// ResNet-18 shapes at batch 256 where the narrow-N, short-K tiles are latency-bound (the persistent convolution's
    /// targets): the stem as the engine runs it, folded (<see cref="ConvStemFold"/>: 4×4×16 over 113×113, stride 1,
    /// K = 256), and the layer1 3×3 64→64 at 56×56 (K = 576).
    /// </summary>
    public static readonly (string Name, ConvProblem Problem)[] ResNet18Layers =
    [
        ("r18 stem fold 4x4x16@113 b256", ConvStemFold.Plan(new ConvProblem(256, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3))!.Folded),
        ("r18 3x3 64@56 b256", new ConvProblem(256, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)),
        ("r18 3x3 128@28 b256", new ConvProblem(256, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1)),
        ("r18 3x3 256@14 b256", new ConvProblem(256, 256, 14, 14, 256, 3, 3, PadH: 1, PadW: 1)),
    ];

    /// <summary>The ResNet-18 stem (name, problem); the name matches the peer script's case.</summary>
    public static readonly (string Name, ConvProblem Problem) Stem =
        ("r18 stem 7x7/2 3->64@224", new ConvProblem(256, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3));

    /// <inheritdoc />
    public string Name => "conv";

    /// <inheritdoc />
    public string Description => "INT8 convolution TOPS on ResNet-50 layers (batch 32) vs cuDNN FP32 (strict), TF32 and FP16; --sweep: tiles × split-K";

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
        (string Name, ConvProblem Problem)[] layers = context.Quick ? [("quick 3x3 16@8", new ConvProblem(1, 16, 8, 8, 16, 3, 3, PadH: 1, PadW: 1))] : [.. Layers, .. ResNet18Layers];
        string only = context.Option("only", string.Empty);
        string layer = context.Option("layer", string.Empty);
        layers = [.. layers.Where(l => l.Name.Contains(layer, StringComparison.Ordinal))];
        if (layer.Length == 0 && (only.Length == 0 || "stem".Contains(only, StringComparison.Ordinal)))
        {
            RunStem(context);
        }

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
            // The fused int8 requantize epilogue (per-channel multiplier and bias, ReLU): the engine's output of these layers.
            using var y8 = acc.Allocate1D<sbyte>((long)p.N * p.P * p.Q * p.K);
            using var multiplier = acc.Allocate1D(Enumerable.Repeat(1e-4f, p.K).ToArray());
            using var bias = acc.Allocate1D(new int[p.K]);
            double RequantizeTops(out double ms, string? variantName = null)
            {
                ms = context.TimeMedianMs(() => ConvS8.Requantize(device, x.View, TensorFormat.NHWC, weights, p, y8.View, multiplier.View, bias.View, relu: true, variantName), warmup: 1);
                return 2.0 * p.Macs / (ms * 1e9);
            }

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
                    ConvWgmma { TileN: 0 } wgmma => $" [{wgmma.Choose(p).Name}]",
                    ConvWgmmaTma { TileN: 0 } tma => $" [{tma.Choose(p).Name}]",
                    _ => string.Empty,
                };
                string ceiling = variant is ConvWgmma or ConvWgmmaTma or ConvWgmmaHalo ? CeilingsBenchmark.Wgmma : variant is ConvMma or ConvMmaAuto or ConvMmaSplitK or ConvMmaPersistent ? CeilingsBenchmark.Mma : CeilingsBenchmark.Dp4a;
                context.Add(new BenchResult(Name, $"{variant.Name}{plan} {name}", ms, tops, "TOPS", tops / context.Ceilings.GetValueOrDefault(ceiling, double.NaN), ceiling));
                if (variant == selected)
                {
                    best = tops;
                }

                if (variant is ConvWgmmaHalo && context.Option("halo-ablate", "false") == "true")
                {
                    // What each step of the halo kernel costs: the same launch without the wgmma (1), the epilogue (2),
                    // the next halo's copies (4), and with only the loop, barriers and weights left (7).
                    foreach (int bits in new[] { 1, 2, 4, 3, 7 })
                    {
                        var ablated = new ConvWgmmaHalo(false, 0, bits);
                        double ams = context.TimeMedianMs(() => ablated.Run(device, x.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(y.View, p.K)), warmup: 1);
                        context.Add(new BenchResult(Name, $"{variant.Name} ablate {bits} {name}", ams, 2.0 * p.Macs / (ams * 1e9), "TOPS"));
                    }
                }

                if (variant is ConvMmaPersistent or ConvWgmmaHalo)
                {
                    // The engine's int8 output (requantize + ReLU) through the persistent kernel, beside the selected one's below.
                    double rq = RequantizeTops(out double rqMs, variant.Name);
                    context.Add(new BenchResult(Name, $"{variant.Name} requantize+relu {name}", rqMs, rq, "TOPS", rq / context.Ceilings[CeilingsBenchmark.Mma], CeilingsBenchmark.Mma));
                }
            }

            // The persistent TMA convolution (not registered until it has run on a GPU), timed beside the registered ones.
            foreach (var persistent in new[] { new ConvWgmmaTma(64, persistent: true), new ConvWgmmaTma(128, persistent: true) })
            {
                if (persistent.CanImplement(device, p, TensorFormat.NHWC) is null && persistent.Name.Contains(only, StringComparison.Ordinal))
                {
                    double pms = context.TimeMedianMs(() => persistent.Run(device, x.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(y.View, p.K)), warmup: 1);
                    double ptops = 2.0 * p.Macs / (pms * 1e9);
                    context.Add(new BenchResult(Name, $"{persistent.Name} {name}", pms, ptops, "TOPS", ptops / context.Ceilings.GetValueOrDefault(CeilingsBenchmark.Wgmma, double.NaN), CeilingsBenchmark.Wgmma));
                }
            }

            if (selected is ConvMmaAuto or ConvWgmma)
            {
                // The requantize epilogue on the selected variant.
                double tops = RequantizeTops(out double ms);
                context.Add(new BenchResult(Name, $"{selected.Name} requantize+relu {name}", ms, tops, "TOPS", tops / context.Ceilings[CeilingsBenchmark.Mma], CeilingsBenchmark.Mma));
                context.AddPeerRatios(Name, name, tops, "cuDNN fp16 NHWC");
            }

            context.AddPeerRatios(Name, name, best, "cuDNN fp32 NHWC (strict, TF32 off)", "cuDNN tf32 NHWC", "cuDNN fp16 NHWC");
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

    private void RunStem(BenchContext context)
    {
        var device = context.Device;
        var acc = device.Accelerator;
        var (name, p) = context.Quick ? ("quick stem 7x7/2 3->8@16", new ConvProblem(1, 3, 16, 16, 8, 7, 7, 2, 2, 3, 3)) : Stem;
        int kp = Im2Col.Columns(p);
        var gemm = Im2Col.GemmProblem(p, kp);
        var padded = p with { C = 4 };
        var random = new Random(2);
        var hostX = new sbyte[(long)p.N * p.H * p.W * p.C];
        var hostW = new sbyte[p.K * p.R * p.S * p.C];
        random.NextBytes(MemoryMarshal.AsBytes(hostX.AsSpan()));
        random.NextBytes(MemoryMarshal.AsBytes(hostW.AsSpan()));
        var hostW4 = new sbyte[p.K * p.R * p.S * 4];
        for (var t = 0; t < p.K * p.R * p.S; t++)
        {
            Array.Copy(hostW, t * 3, hostW4, t * 4, 3);
        }

        using var x = acc.Allocate1D(hostX);
        using var x4 = acc.Allocate1D<sbyte>((long)p.N * p.H * p.W * 4);
        using var a = acc.Allocate1D<sbyte>((long)gemm.N * gemm.H * gemm.W * kp);
        using var y = acc.Allocate1D<sbyte>((long)p.N * p.P * p.Q * p.K);
        using var multiplier = acc.Allocate1D(Enumerable.Repeat(1e-4f, p.K).ToArray());
        using var bias = acc.Allocate1D(new int[p.K]);
        using var weights = new PackedConvWeights(device, Im2Col.PadWeightRows(hostW, p.K, kp), gemm);
        using var weights4 = new PackedConvWeights(device, hostW4, padded);
        var epilogue = new RequantizeEpilogue(y.View, p.K, multiplier.View, bias.View, 0);
        double im2col = context.TimeMedianMs(() => Im2Col.Run(device, x.View, p, a.View, kp), warmup: 1);
        var variant = ConvS8.Forward(device, a.View, TensorFormat.NHWC, weights, gemm, epilogue);
        double gemmMs = context.TimeMedianMs(() => ConvS8.Forward(device, a.View, TensorFormat.NHWC, weights, gemm, epilogue), warmup: 1);
        double both = context.TimeMedianMs(
            () =>
            {
                Im2Col.Run(device, x.View, p, a.View, kp);
                ConvS8.Forward(device, a.View, TensorFormat.NHWC, weights, gemm, epilogue);
            },
            warmup: 1);
        var before = ConvS8.Forward(device, x4.View, TensorFormat.NHWC, weights4, padded, epilogue);
        double old = context.TimeMedianMs(
            () =>
            {
                ChannelPad.Run<sbyte>(device, x.View, x4.View, p.N * p.H * p.W, 3, 4);
                ConvS8.Forward(device, x4.View, TensorFormat.NHWC, weights4, padded, epilogue);
            },
            warmup: 1);

        // TOPS count the stem's real multiply-adds (C = 3); im2col's GB/s its bytes read (x) + written (A).
        double Tops(double ms) => 2.0 * p.Macs / (ms * 1e9);
        double gbs = (hostX.Length + a.Length) / (im2col * 1e6);
        context.Ceilings.TryGetValue(CeilingsBenchmark.Copy, out var copy);
        context.Add(new BenchResult(Name, $"im2col {kp} columns {name}", im2col, gbs, "GB/s", copy > 0 ? gbs / copy : null, copy > 0 ? CeilingsBenchmark.Copy : null));
        context.Add(new BenchResult(Name, $"1x1 gemm {variant.Name} K={kp} {name}", gemmMs, Tops(gemmMs), "TOPS", Tops(gemmMs) / context.Ceilings[CeilingsBenchmark.Mma], CeilingsBenchmark.Mma));
        context.Add(new BenchResult(Name, $"channel pad + {before.Name} (before) {name}", old, Tops(old), "TOPS"));
        context.Add(new BenchResult(Name, $"im2col + 1x1 gemm {name}", both, Tops(both), "TOPS", old / both, "speed-up over channel pad"));
        context.AddPeerRatios(Name, name, Tops(both), "cuDNN fp32 NHWC (strict, TF32 off)", "cuDNN tf32 NHWC", "cuDNN fp16 NHWC");
        RunFold(context, name, p);
    }

    // The engine's first pass of a folded stem on float input: float NCHW read once, the folded int8 z written once
    // (StemFold.FromF32Nchw, the input's quantize fused); GB/s of those bytes against the copy kernel's.
    private void RunFold(BenchContext context, string name, ConvProblem p)
    {
        if (ConvStemFold.Plan(p) is not { } fold)
        {
            return;
        }

        var acc = context.Device.Accelerator;
        using var x = acc.Allocate1D(Enumerable.Range(0, (int)((long)p.N * p.C * p.H * p.W)).Select(i => ((i * 7919) % 255 - 127) * 0.01f).ToArray());
        using var z = acc.Allocate1D<sbyte>(fold.FoldedBytes);
        double ms = context.TimeMedianMs(() => StemFold.FromF32Nchw(context.Device, x.View, fold, z.View, 0.01f), warmup: 1);
        double gbs = ((x.Length * 4) + z.Length) / (ms * 1e6);
        context.Ceilings.TryGetValue(CeilingsBenchmark.Copy, out var copy);
        context.Add(new BenchResult(Name, $"fold f32 NCHW -> {fold.Folded.C}-channel z (per-pixel) {name}", ms, gbs, "GB/s", copy > 0 ? gbs / copy : null, copy > 0 ? CeilingsBenchmark.Copy : null));
    }
}
