using System.Globalization;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// End-to-end engines built through the API: a small CNN (1×28×28), ResNet-18 and ResNet-50 v1.5 (3×224×224) at batch 1,
/// 64 and 256, FP32 (TF32), FP16 and INT8 by default (<c>--precisions</c>; INT8 ranges from min-max calibration on two random images). The execution context replays CUDA
/// graphs where the backend allows (a batch size's first two runs are in the warm-up); on CUDA an INT8 row "plain
/// launches" beside it times a context with graphs off, with the ratio graphs on / plain. Images/s, the INT8 / FP32 ratio, the ratio to
/// every PyTorch peer of the case (Perf/peers/engine_peers.py, same device call: eager, BN-folded, torch.compile) and to the
/// best of them, a per-layer-type breakdown of one profiled run and the
/// kernel-launch overhead share (launches × the time of an empty launch measured here / the run's time).
/// Per-step timings go to OUT/engine-profile-*.json. <c>--cases small_cnn,resnet18,resnet50</c> picks the synthetic networks. <c>--quick</c>: batch 1, a 32×32 ResNet-18 and no ResNet-50 (minutes on the CPU accelerator) for a CPU smoke run.
/// <c>--resnet18-onnx PATH</c> adds "resnet18_onnx": ML.NET's ResNet18.onnx imported with its real weights (inputs are
/// pixel-like, 0–255 minus 117, as the model expects), against Perf/peers/resnet18_torch_peer.py, which builds the same
/// graph in PyTorch from the same file. <c>--zoo DIR</c> adds every model of a zoo folder (issue 24: torchvision's families
/// exported by Perf/peers/zoo_peers.py at 224×224, which times the same models in PyTorch) as "zoo_name" at batch 1 and 64.
/// <c>--residual-ab</c>: each INT8 network is built a second time with <see cref="BuilderConfig.FuseResidualSums"/> flipped
/// and timed at every batch in the same call: a row "int8 residual sums fused" / "… unfused" (whichever the default is
/// not) with the ratio default / flipped (above 1: the default is faster), and its profile as engine-profile-*-flipped.json.
/// </summary>
public sealed class EngineBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "engine";

    /// <inheritdoc />
    public string Description => "End-to-end small CNN, ResNet-18 and ResNet-50 engines (FP32 on TF32, FP16, INT8 by --precisions; CUDA graphs on and off), per-layer breakdown, launch overhead";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        if (context.Quick && !context.Device.IsCuda && Environment.GetEnvironmentVariable(Kernels.Convolution.ConvVariants.ForceEnvironmentVariable) is null)
        {
            // The 128×128 implicit-GEMM tiles simulate slowly on the CPU accelerator (256 OS threads a block, M = 1 at
            // ResNet's last stage): the smoke run uses the direct variant.
            Environment.SetEnvironmentVariable(Kernels.Convolution.ConvVariants.ForceEnvironmentVariable, "conv_s8_direct");
            Console.WriteLine("  quick on the CPU accelerator: INT8 convolutions forced to conv_s8_direct");
        }

        var launchMs = EmptyLaunchMs(context);
        Console.WriteLine($"  empty kernel launch: {launchMs * 1000:F2} us");
        var cases = context.Quick
            ? new[] { ("small_cnn", SyntheticModels.SmallCnn(), new[] { 1 }), ("resnet18", SyntheticModels.ResNet18(32, 10), new[] { 1 }) }
            : [("small_cnn", SyntheticModels.SmallCnn(), [1, 64, 256]), ("resnet18", SyntheticModels.ResNet18(), [1, 64, 256]), ("resnet50", SyntheticModels.ResNet50(), [1, 64, 256])];
        var only = context.Option("cases", string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (only.Length > 0)
        {
            cases = [.. cases.Where(c => only.Contains(c.Item1))];
        }

        var onnx = context.Option("resnet18-onnx", string.Empty);
        if (onnx.Length > 0)
        {
            cases = [.. cases, ("resnet18_onnx", OnnxNetworkLoader.Load(onnx).Network, context.Quick ? [1] : [1, 64, 256])];
        }

        var zoo = context.Option("zoo", string.Empty);
        if (zoo.Length > 0)
        {
            cases = [.. cases, .. ZooCases(zoo, context.Quick ? [1] : [1, 64])];
        }

        foreach (var (name, network, batches) in cases)
        {
            // The ONNX model takes pixels (0..255) minus the mean; the synthetic networks take values in ±1.
            var (scale, offset) = name == "resnet18_onnx" ? (127.5f, 10.5f) : (1f, 0f);
            try
            {
                RunNetwork(context, name, network, batches, launchMs, v => (v * scale) + offset);
            }
            catch (Exception e) when (name.StartsWith("zoo_", StringComparison.Ordinal))
            {
                // One zoo model that does not build or run is reported; the others still run.
                Console.Error.WriteLine($"  {name}: failed: {e.GetType().Name}: {e.Message}");
                context.Add(new BenchResult(Name, $"{name} failed", 0, 0, "img/s"));
            }
        }
    }

    /// <summary>
    /// The models of a zoo folder (Perf/peers/zoo_peers.py or Models/zoo/export_zoo.py wrote it: MANIFEST.txt lines
    /// "name opset N,C,H,W file"), each once at its highest opset, as cases "zoo_name".
    /// </summary>
    private static IEnumerable<(string, NetworkDefinition, int[])> ZooCases(string folder, int[] batches)
    {
        var manifest = Path.Combine(folder, "MANIFEST.txt");
        if (!File.Exists(manifest))
        {
            throw new FileNotFoundException($"--zoo {folder}: no MANIFEST.txt there (run Perf/peers/zoo_peers.py or Models/zoo/export_zoo.py first)", manifest);
        }

        var models = File.ReadAllLines(manifest)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 4)
            .GroupBy(f => f[0])
            .Select(g => g.OrderByDescending(f => int.Parse(f[1], CultureInfo.InvariantCulture)).First());
        foreach (var fields in models)
        {
            yield return ($"zoo_{fields[0]}", OnnxNetworkLoader.Load(Path.Combine(folder, fields[3])).Network, batches);
        }
    }

    private void RunNetwork(BenchContext context, string name, NetworkDefinition network, int[] batches, double launchMs, Func<float, float> pixel)
    {
        var device = context.Device;
        var maxBatch = batches.Max();
        var input = network.Inputs[0];
        float[] Inputs(int count, int seed) => Array.ConvertAll(Random(count, seed), v => pixel(v));
        var calibration = new Dictionary<string, float[]> { [input.Name] = Inputs((int)input.Dims.Volume * 2, 7) };
        var fp32Ms = new Dictionary<int, double>();
        foreach (var precision in Precisions(context))
        {
            bool int8 = precision == "int8", calibrated = int8 || precision == "best";
            var config = new BuilderConfig { MaxBatchSize = maxBatch, Int8 = calibrated, Fp16 = precision is "fp16" or "best", Tf32 = precision != "fp32-strict" };
            if (calibrated)
            {
                config.Calibrator = new MaxAbsCalibrator([(calibration, 2)]);
                config.CalibrationBatchSize = 2;
            }

            using var engine = EngineBuilder.Build(network, config, device);
            using var exec = engine.CreateExecutionContext();

            // --residual-ab: the same INT8 network with residual-sum fusion flipped, timed beside the default.
            bool ab = int8 && context.Option("residual-ab", "no") != "no";
            using var flipped = ab ? EngineBuilder.Build(network, FlippedResidualFusion(config, calibration), device) : null;
            using var flippedExec = flipped?.CreateExecutionContext();
            var flippedName = config.FuseResidualSums ? "residual sums unfused" : "residual sums fused";

            // The same engine with CUDA graphs off (INT8 on CUDA only: elsewhere graphs are refused anyway).
            using var plain = int8 && device.IsCuda ? engine.CreateExecutionContext() : null;
            if (plain is not null)
            {
                plain.CudaGraphs = false;
            }

            Console.WriteLine($"  {name} {precision}: {engine.Layers.Count} steps ({engine.Layers.Count(l => l.Int8)} INT8), arena {engine.Memory.ArenaBytes / 1048576.0:F1} MiB at batch {maxBatch} (no reuse: {engine.Memory.UnsharedBytes / 1048576.0:F1} MiB), step scratch {engine.Memory.ScratchBytes / 1048576.0:F1} MiB");
            foreach (var batch in batches)
            {
                var inputs = new Dictionary<string, float[]> { [input.Name] = Inputs((int)input.Dims.Volume * batch, batch) };
                exec.SetInputs(inputs, batch);
                var ms = context.TimeMedianMs(() => exec.Enqueue(batch), warmup: 2);
                var imagesPerSecond = batch / ms * 1000;
                var caseName = $"{name} b{batch}";
                double? ratio = null;
                string? ratioTo = null;
                if (int8 && fp32Ms.TryGetValue(batch, out var f))
                {
                    ratio = f / ms;
                    ratioTo = "fp32 engine";
                }
                else if (precision == "fp32")
                {
                    fp32Ms[batch] = ms;
                }

                context.Add(new BenchResult(Name, $"{caseName} {precision}", ms, imagesPerSecond, "img/s", ratio, ratioTo));
                Console.WriteLine($"    cuda graphs: {exec.CudaGraphCaptures} captured, {exec.CudaGraphReplays} replays{(exec.CudaGraphRefusal is { } why ? ", refused: " + why : string.Empty)}");
                if (plain is not null)
                {
                    plain.SetInputs(inputs, batch);
                    var plainMs = context.TimeMedianMs(() => plain.Enqueue(batch), warmup: 2);
                    context.Add(new BenchResult(Name, $"{caseName} {precision} plain launches", plainMs, batch / plainMs * 1000, "img/s", plainMs / ms, "graphs on / plain launches"));
                }

                var peers = context.Peers(caseName).OrderBy(p => p.Value).ToList();
                foreach (var (peer, theirs) in peers)
                {
                    context.Add(new BenchResult(Name, $"  vs {peer} {caseName}", 0, theirs, "img/s", imagesPerSecond / theirs, $"ours {precision} / {peer}"));
                }

                if (peers.Count > 0)
                {
                    var (bestPeer, bestValue) = peers[^1];
                    context.Add(new BenchResult(Name, $"  vs best peer of the call {caseName}", 0, bestValue, "img/s", imagesPerSecond / bestValue, $"ours {precision} / best peer ({bestPeer})"));
                }

                var profile = exec.Profile(inputs, batch);
                Report(context, $"{name}-{precision}-b{batch}", profile, ms, launchMs);
                if (flippedExec is not null)
                {
                    flippedExec.SetInputs(inputs, batch);
                    var flippedMs = context.TimeMedianMs(() => flippedExec.Enqueue(batch), warmup: 2);
                    Console.WriteLine($"    {flippedName}: {flipped!.Layers.Count} steps, {flipped.Layers.Count(l => l.FusedResidualSum)} with a fused residual sum (default: {engine.Layers.Count(l => l.FusedResidualSum)})");
                    context.Add(new BenchResult(Name, $"{caseName} {precision} {flippedName}", flippedMs, batch / flippedMs * 1000, "img/s", flippedMs / ms, $"default ({(config.FuseResidualSums ? "fused" : "unfused")}) / {flippedName}"));
                    Report(context, $"{name}-{precision}-b{batch}-flipped", flippedExec.Profile(inputs, batch), flippedMs, launchMs);
                }
            }
        }
    }

    /// <summary>
    /// <c>--precisions</c> (default fp32,fp16,int8): the engines built for each network, in this order. fp32 = FP32 layers
    /// on TF32 tensor cores where the backend has them (the builder's default), fp32-strict = <see cref="BuilderConfig.Tf32"/>
    /// off, fp16 = FP16 layers, int8 = INT8 with min-max calibration, best = INT8 or FP16 per step by build-time timing
    /// (<see cref="BuilderPrecision.Best"/>, the same calibration). The INT8 rows' ratio is to the fp32 engine when fp32
    /// runs before it.
    /// </summary>
    private static string[] Precisions(BenchContext context)
    {
        string[] known = ["fp32", "fp32-strict", "fp16", "int8", "best"];
        var list = context.Option("precisions", "fp32,fp16,int8").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = list.Where(p => !known.Contains(p)).ToList();
        return unknown.Count > 0
            ? throw new ArgumentException($"--precisions: unknown {string.Join(", ", unknown)} (known: {string.Join(", ", known)})")
            : list;
    }

    private void Report(BenchContext context, string key, EngineProfile profile, double endToEndMs, double launchMs)
    {
        var total = profile.TotalMilliseconds;
        var share = profile.Launches * launchMs / endToEndMs;
        var byType = profile.Layers
            .GroupBy(l => (l.Type?.ToString() ?? "Convert") + " " + l.Precision.ToLowerInvariant())
            .Select(g => (Type: g.Key, Ms: g.Sum(l => l.Milliseconds), Count: g.Count()))
            .OrderByDescending(g => g.Ms);
        Console.WriteLine($"    {key}: profiled {total:F3} ms over {profile.Layers.Count} steps, {profile.Launches} launches, launch overhead ≈ {share:P1} of {endToEndMs:F3} ms");
        Console.WriteLine("      " + string.Join(", ", byType.Take(6).Select(g => $"{g.Type} {100 * g.Ms / total:F0}% ({g.Count})")));
        foreach (var l in profile.Layers.OrderByDescending(l => l.Milliseconds).Take(3))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {l.Name,-32} {l.Milliseconds,9:F4} ms {l.Precision.ToLowerInvariant()} {l.Fusions}"));
        }

        context.Add(new BenchResult(Name, $"  launch overhead {key}", endToEndMs, share * 100, "%"));
        var outDir = context.Option("out", string.Empty);
        if (outDir.Length > 0)
        {
            Directory.CreateDirectory(outDir);
            AtomicFile.WriteAllText(Path.Combine(outDir, $"engine-profile-{key}.json"), JsonStyle.Serialize(new { end_to_end_ms = endToEndMs, launch_ms = launchMs, profile }));
        }
    }

    // The INT8 configuration with FuseResidualSums flipped (its own calibrator: a calibrator is read once a build).
    private static BuilderConfig FlippedResidualFusion(BuilderConfig config, Dictionary<string, float[]> calibration) => new()
    {
        MaxBatchSize = config.MaxBatchSize,
        Int8 = true,
        FuseResidualSums = !config.FuseResidualSums,
        Calibrator = new MaxAbsCalibrator([(calibration, 2)]),
        CalibrationBatchSize = 2,
    };

    // The device time of one empty kernel launched back to back (launch throughput).
    private static double EmptyLaunchMs(BenchContext context)
    {
        var device = context.Device;
        using var buffer = device.Accelerator.Allocate1D<int>(1);
        var kernel = device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>>(EmptyKernel);
        var view = buffer.View;
        const int Inner = 200;
        return context.TimeMedianMs(() => kernel(32, view), warmup: 3, inner: Inner);
    }

    /// <summary>Does nothing (the write never happens).</summary>
    internal static void EmptyKernel(Index1D i, ArrayView<int> x)
    {
        if (i.X < 0)
        {
            x[0] = 1;
        }
    }

    private static float[] Random(int count, int seed)
    {
        var r = new Random(seed);
        var v = new float[count];
        for (var i = 0; i < count; i++)
        {
            v[i] = (float)((r.NextDouble() * 2) - 1);
        }

        return v;
    }
}
