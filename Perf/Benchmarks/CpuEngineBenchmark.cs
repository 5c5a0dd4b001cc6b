using System.Diagnostics;
using Google.Protobuf;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Proto;
using ILGPUInt8.Perf.Harness;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// The CPU backend against ONNX Runtime, in one process on the same inputs: (1) INT8 GEMM GOPS (2·M·N·K / time) of the
/// CPU convolution's GEMM (a 1×1 convolution, A = M×K activations, weights packed once) per instruction-set variant at 512³
/// and 2048³; (2) images/s of the Fashion-MNIST CNN (Models/fashion_cnn.onnx, batch 1 and 64) and ResNet-18 (the ML.NET
/// package's ResNet18.onnx, batch 8): our INT8 and FP32 CPU engines, ORT FP32 on the same file, and ORT on the torch QDQ
/// model (Fashion), one after the other in the same process (blocks of repeats: ORT's threads spin after a run), medians
/// after warm-up; ratios are to ORT FP32. Equal work on both sides: ORT gets the whole batch in one run (a model with a
/// fixed batch of 1 is rewritten batch-dynamic, <see cref="BatchDynamic"/>), and both sides are timed over the same span:
/// the float inputs handed over, the network run, the float outputs copied into a new array. <c>--threads N</c> limits
/// both (1 is robust on a shared machine). INT8 ranges: min-max over two random calibration batches. Runs on the host only.
/// </summary>
public sealed class CpuEngineBenchmark : IBenchmark
{
    private int _threads;

    /// <inheritdoc />
    public string Name => "cpu-engine";

    /// <inheritdoc />
    public string Description => "CPU backend: INT8 GEMM GOPS per variant; Fashion CNN and ResNet-18 images/s (INT8, FP32) vs ONNX Runtime";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        _threads = int.Parse(context.Option("threads", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);
        CpuThreads.Max = _threads;
        Console.WriteLine($"  {Environment.ProcessorCount} cores, {_threads} threads for ours and ORT, load average {LoadAverage()}");
        if (context.Option("only", "all") is "all" or "gemm")
        {
            Gemm(context);
        }

        if (context.Option("only", "all") is "all" or "models")
        {
            var root = RepositoryRoot();
            Model(context, "fashion_cnn", Path.Combine(root, "Models", "fashion_cnn.onnx"), Path.Combine(root, "Models", "fashion_cnn_qdq.onnx"), context.Quick ? [1] : [.. context.Option("fashion-batches", "1,64").Split(',').Select(int.Parse)]);
            var resnet = Path.Combine(NuGetRoot(), "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
            if (File.Exists(resnet) && !context.Quick)
            {
                Model(context, "resnet18", resnet, null, [8]);
            }
            else
            {
                Console.WriteLine($"  resnet18: skipped ({(context.Quick ? "quick" : resnet + " not found")})");
            }
        }

        Console.WriteLine($"  load average after: {LoadAverage()}");
    }

    private void Gemm(BenchContext context)
    {
        int[] sizes = context.Quick ? [128] : [512, 2048];
        foreach (var size in sizes)
        {
            var random = new Random(size);
            var a = new sbyte[size * size];
            var b = new sbyte[size * size];
            random.NextBytes((byte[])(Array)a);
            random.NextBytes((byte[])(Array)b);
            var c = new int[size * size];
            double? scalar = null;
            foreach (var isa in Enum.GetValues<CpuIsa>().Reverse())
            {
                if (!CpuIsaSupport.IsSupported(isa) || (isa == CpuIsa.Scalar && size > 512))
                {
                    continue;
                }

                var conv = new CpuConvS8(b, new ConvProblem(1, size, 1, 1, size, 1, 1), isa);
                var ms = Median(size > 1024 ? 3 : 7, () => Forward(conv, a, size, c));
                double gops = 2.0 * size * size * size / (ms * 1e6);
                scalar ??= isa == CpuIsa.Scalar ? gops : null;
                context.Add(new BenchResult(Name, $"gemm {isa} {size}^3 ({_threads} threads)", ms, gops, "GOPS", scalar is { } s && isa != CpuIsa.Scalar ? gops / s : null, scalar is null ? null : "scalar 512^3"));
            }
        }
    }

    private static unsafe void Forward(CpuConvS8 conv, sbyte[] a, int m, int[] c)
    {
        fixed (sbyte* x = a)
        fixed (int* y = c)
        {
            conv.Forward(x, m, new Int32Sink(y, conv.Problem.K));
        }
    }

    private void Model(BenchContext context, string name, string path, string? qdqPath, int[] batches)
    {
        NetworkDefinition network;
        try
        {
            network = OnnxNetworkLoader.Load(path).Network;
        }
        catch (OnnxImportException e)
        {
            Console.WriteLine($"  {name}: not importable, skipped: {e.Message}");
            return;
        }

        var input = network.Inputs[0];
        int item = (int)input.Dims.Volume;
        var calibration = new Dictionary<string, float[]>(StringComparer.Ordinal) { [input.Name] = Random(item * 2, 7) };
        int maxBatch = batches.Max();
        using var fp32 = EngineBuilder.BuildCpu(network, new BuilderConfig { MaxBatchSize = maxBatch });
        var watch = Stopwatch.StartNew();
        using var int8 = EngineBuilder.BuildCpu(network, new BuilderConfig { MaxBatchSize = maxBatch, Int8 = true, Calibrator = new MaxAbsCalibrator([(calibration, 2)]), CalibrationBatchSize = 2 });
        Console.WriteLine($"  {name}: {int8.Layers.Count} steps, {int8.Layers.Count(l => l.Int8)} INT8, ISA {int8.HostIsa}; INT8 build with calibration {watch.Elapsed.TotalMilliseconds:F0} ms");
        using var ort = new InferenceSession(BatchDynamic(path), Options());
        using var ortQdq = qdqPath is not null && File.Exists(qdqPath) ? new InferenceSession(BatchDynamic(qdqPath), Options()) : null;
        using var c32 = fp32.CreateExecutionContext();
        using var c8 = int8.CreateExecutionContext();
        foreach (var batch in batches)
        {
            var data = Random(item * batch, batch);
            var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal) { [input.Name] = data };
            c32.SetInputs(inputs, batch);
            c8.SetInputs(inputs, batch);
            var ortRun = OrtRunner(ort, data, batch, input.Dims);
            var qdqRun = ortQdq is null ? null : OrtRunner(ortQdq, data, batch, input.Dims);
            var ours32 = c32.Execute(inputs, batch)[fp32.Outputs[0].Name];
            var reference = ortRun();
            double maxDiff = ours32.Zip(reference).Max(p => Math.Abs(p.First - p.Second));
            Console.WriteLine($"  {name} b{batch}: max |ours FP32 − ORT FP32| = {maxDiff:G3} over {reference.Length} outputs (ORT: one run of batch {batch})");

            // Both sides: inputs handed over, the run, outputs copied out (ours: Execute = SetInputs + Enqueue + ReadOutputs).
            List<(string Label, Action Run)> runners =
            [
                ("ours int8", () => c8.Execute(inputs, batch)),
                ("ours fp32", () => c32.Execute(inputs, batch)),
                ("ort fp32", () => ortRun()),
            ];
            if (qdqRun is not null)
            {
                runners.Add(("ort qdq int8", () => qdqRun()));
            }

            if (context.Option("profile", "no") != "no")
            {
                foreach (var (label, exec) in new[] { ("int8", c8), ("fp32", c32) })
                {
                    exec.Profile(inputs, batch);
                    var profile = exec.Profile(inputs, batch);
                    Console.WriteLine($"  profile {name} b{batch} {label}: {profile.TotalMilliseconds:F2} ms");
                    foreach (var l in profile.Layers)
                    {
                        Console.WriteLine($"    {l.Name,-40} {l.Type,-14} {(l.Int8 ? "int8" : "fp32")} {l.Milliseconds,9:F3} ms");
                    }
                }
            }

            var times = Blocks(context.Quick ? 3 : Math.Max(5, context.Repeats), runners.Select(r => r.Run).ToArray());
            double ortMs = times[2];
            for (var i = 0; i < runners.Count; i++)
            {
                double ips = batch / times[i] * 1000;
                context.Add(new BenchResult(Name, $"{name} b{batch} {runners[i].Label}", times[i], ips, "images/s", ortMs / times[i], "ort fp32"));
            }
        }
    }

    private SessionOptions Options() => new() { IntraOpNumThreads = _threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };

    // ORT on a batch: one run of the whole batch (the model is batch-dynamic, see BatchDynamic); the input tensor wraps
    // our float array (as our SetInputs reads it), the output is copied into a new array (as our ReadOutputs).
    private static Func<float[]> OrtRunner(InferenceSession session, float[] data, int batch, TensorDims dims)
    {
        var name = session.InputMetadata.Keys.First();
        var declared = session.InputMetadata[name].Dimensions;
        if (declared[0] > 0 && declared[0] != batch)
        {
            throw new InvalidOperationException($"ORT's model has a fixed batch of {declared[0]}; the benchmark needs batch {batch} in one run.");
        }

        var tensor = new DenseTensor<float>(data.AsMemory(0, batch * (int)dims.Volume), [batch, .. declared.Skip(1).Select((d, i) => d > 0 ? d : new[] { dims.C, dims.H, dims.W }[i])]);
        return () =>
        {
            using var result = session.Run([NamedOnnxValue.CreateFromTensor(name, tensor)]);
            return result.First().AsTensor<float>().ToArray();
        };
    }

    /// <summary>
    /// A copy of the ONNX model whose inputs and outputs have a free first (batch) dimension "N" instead of a fixed one,
    /// its intermediate shape annotations dropped (ORT infers them again); the same file when already free. Valid for
    /// graphs without a batch baked into a Reshape, which ORT's run on the batch then checks (and the FP32 comparison).
    /// </summary>
    internal static string BatchDynamic(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var graph = model.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var values = graph.Input.Where(v => !initializers.Contains(v.Name)).Concat(graph.Output).ToList();
        if (values.All(v => v.Type?.TensorType?.Shape?.Dim is not { Count: > 0 } d || d[0].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
        {
            return path;
        }

        foreach (var v in values)
        {
            if (v.Type?.TensorType?.Shape?.Dim is { Count: > 0 } d)
            {
                d[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
            }
        }

        graph.ValueInfo.Clear();
        var copy = Path.Combine(Path.GetTempPath(), $"ilgpuint8-batchdyn-{Environment.ProcessId}-{Path.GetFileName(path)}");
        AtomicFile.WriteAllBytes(copy, model.ToByteArray());
        return copy;
    }

    // Each runner in its own block (warm-up, then the repeats), one after the other: interleaving single runs would let
    // ORT's intra-op threads, which spin for a while after each run, steal the cores from the next runner.
    private static double[] Blocks(int repeats, Action[] runs) => [.. runs.Select(r => Median(repeats, r))];

    private static double Median(int repeats, Action run)
    {
        run();
        run();
        var samples = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            samples[i] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(samples);
        return samples[repeats / 2];
    }

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        var v = new float[count];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ILGPUInt8.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private static string NuGetRoot() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Stores the int32 accumulators (the GEMM's C) row-major.</summary>
    private readonly unsafe struct Int32Sink(int* c, int stride) : ICpuInt8Sink
    {
        private readonly nint _c = (nint)c;

        public void Store(int* acc, int ldc, int m0, int rows, int k0, int count)
        {
            for (var r = 0; r < rows; r++)
            {
                new Span<int>(acc + ((long)r * ldc), count).CopyTo(new Span<int>((int*)_c + ((long)(m0 + r) * stride) + k0, count));
            }
        }
    }
}
