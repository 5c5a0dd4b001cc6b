using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// The INT8 ResNet-18 stem before and after the fold (issue 14), one engine each, same synthetic network and data:
/// <c>im2col</c> (input convert + im2col + the K = 160 GEMM), <c>fold</c> (input convert + fold + the folded implicit
/// GEMM), <c>fused</c> (the input quantize fused into the fold) and <c>u8</c> (uint8 NHWC images through the table, 4×
/// fewer bytes to copy). Each reports the engine's end-to-end time (median of Enqueue), the stem's time (the input
/// step plus conv1 of a profiled run) and writes OUT/engine-profile-stem-MODE-bBATCH.json. <c>--quick</c>: a 32×32
/// network at batch 1 on any device (INT8 convolutions forced to the direct variant on the CPU accelerator).
/// </summary>
public sealed class StemBenchmark : IBenchmark
{
    private static readonly Preprocessing ImageNet = new(1.0 / 255.0, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <inheritdoc />
    public string Name => "stem";

    /// <inheritdoc />
    public string Description => "ResNet-18 INT8 stem: im2col vs fold vs fused input quantize vs uint8 images (per-layer profile)";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        if (context.Quick && !context.Device.IsCuda && Environment.GetEnvironmentVariable(Kernels.Convolution.ConvVariants.ForceEnvironmentVariable) is null)
        {
            // As the engine benchmark: the implicit-GEMM tiles simulate slowly on the CPU accelerator.
            Environment.SetEnvironmentVariable(Kernels.Convolution.ConvVariants.ForceEnvironmentVariable, "conv_s8_direct");
            Console.WriteLine("  quick on the CPU accelerator: INT8 convolutions forced to conv_s8_direct");
        }

        var (size, batches) = context.Quick ? (32, new[] { 1 }) : (224, new[] { 64, 256 });
        var network = SyntheticModels.ResNet18(size, 1000);
        var input = network.Inputs[0];
        var random = new Random(5);
        var calibration = new Dictionary<string, float[]> { [input.Name] = Floats(2) };
        float[] Floats(int n) => [.. Enumerable.Range(0, (int)input.Dims.Volume * n).Select(_ => ImageNet.Apply(random.Next(256), 0))];
        var previous = Environment.GetEnvironmentVariable("ILGPUINT8_STEM");
        try
        {
            foreach (var mode in new[] { "im2col", "fold", "fused", "u8" })
            {
                Environment.SetEnvironmentVariable("ILGPUINT8_STEM", mode is "im2col" or "fold" ? mode : null);
                var config = new BuilderConfig { MaxBatchSize = batches.Max(), Int8 = true, Calibrator = new MaxAbsCalibrator([(calibration, 2)]), CalibrationBatchSize = 2 };
                using var engine = EngineBuilder.Build(network, config, context.Device);
                using var exec = engine.CreateExecutionContext();
                var stem = engine.Layers.First(l => l.Layers.Contains("conv1"));
                Console.WriteLine($"  {mode}: conv1 runs {stem.KernelName}, scratch {stem.ScratchBytes / 1048576.0:F1} MiB");
                foreach (var batch in batches)
                {
                    var floats = new Dictionary<string, float[]> { [input.Name] = Floats(batch) };
                    var images = new byte[input.Dims.Volume * batch];
                    random.NextBytes(images);
                    if (mode == "u8")
                    {
                        exec.SetInputImages(images, batch, ImageNet);
                    }
                    else
                    {
                        exec.SetInputs(floats, batch);
                    }

                    var ms = context.TimeMedianMs(() => exec.Enqueue(batch), warmup: 2);
                    var profile = mode == "u8" ? exec.ProfileImages(images, batch, ImageNet) : exec.Profile(floats, batch);
                    var stemMs = profile.Layers.Where(l => l.Name.StartsWith("input:", StringComparison.Ordinal) || l.Name == "conv1").Sum(l => l.Milliseconds);
                    context.Add(new BenchResult(Name, $"resnet18 b{batch} {mode}", ms, batch / ms * 1000, "img/s", null, null));
                    context.Add(new BenchResult(Name, $"resnet18 b{batch} {mode} stem (input + conv1)", stemMs, batch / stemMs * 1000, "img/s", null, null));
                    Console.WriteLine($"    b{batch}: end to end {ms:F3} ms, stem (input + conv1, profiled) {stemMs:F3} ms");
                    var outDir = context.Option("out", string.Empty);
                    if (outDir.Length > 0)
                    {
                        Directory.CreateDirectory(outDir);
                        AtomicFile.WriteAllText(Path.Combine(outDir, $"engine-profile-stem-{mode}-b{batch}.json"), JsonStyle.Serialize(new { end_to_end_ms = ms, kernel = stem.KernelName, profile }));
                    }
                }
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("ILGPUINT8_STEM", previous);
        }
    }
}
