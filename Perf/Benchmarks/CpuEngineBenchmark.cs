using System.Diagnostics;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// The CPU backend against ONNX Runtime, in one process on the same inputs: (1) INT8 GEMM GOPS (2·M·N·K / time) of the
/// CPU convolution's GEMM (a 1×1 convolution, A = M×K activations, weights packed once) per instruction-set variant at 512³
/// and 2048³; (2) images/s of the Fashion-MNIST CNN (Models/fashion_cnn.onnx, batch 1 and 64) and ResNet-18 (the ML.NET
/// package's ResNet18.onnx, batch 1 and 8): our INT8 engine, ORT FP32 on the same file and ORT on the QDQ INT8 model of
/// the same network (exported by QdqExporter with our engine's thresholds), for each thread count of <c>--threads 1,2</c>
/// (ours and ORT alike). Timing: <c>--rounds N</c> rounds, each a block of repeats per runner one after the other
/// (blocks, not single interleaved runs: ORT's intra-op threads spin for a while after a run), so the ratios are
/// taken within a round, under the same load, and their median is reported with the load average of each round.
/// Equal work on both sides: ORT gets the whole batch in one run (a model with a fixed batch of 1 is rewritten
/// batch-dynamic), and both sides are timed over the same span: the float inputs handed over, the network run, the
/// float outputs copied into a new array. INT8 ranges: min-max over two random calibration batches. Host only.
/// </summary>
public sealed class CpuEngineBenchmark : IBenchmark
{
    private int[] _threads = [];

    /// <inheritdoc />
    public string Name => "cpu-engine";

    /// <inheritdoc />
    public string Description => "CPU backend: INT8 GEMM GOPS per variant; Fashion CNN and ResNet-18 images/s (INT8) vs ONNX Runtime FP32 and QDQ INT8";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        _threads = Ints(context.Option("threads", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)), "threads");
        Console.WriteLine($"  {Environment.ProcessorCount} cores, threads {string.Join(',', _threads)} for ours and ORT, load average {LoadAverage()}");
        var only = context.Option("only", "all");
        if (only is "all" or "gemm")
        {
            CpuThreads.Max = _threads.Max();
            Gemm(context);
        }

        if (only is "layers")
        {
            CpuConvLayers.Run(context, Name, _threads, int.Parse(context.Option("rounds", "5"), System.Globalization.CultureInfo.InvariantCulture));
        }

        if (only is "all" or "models" or "fashion")
        {
            var root = RepositoryRoot();
            Model(context, "fashion_cnn", Path.Combine(root, "Models", "fashion_cnn.onnx"), Path.Combine(root, "Models", "fashion_cnn_qdq.onnx"), context.Quick ? [1] : Ints(context.Option("fashion-batches", "1,64"), "fashion-batches"));
        }

        if (only is "all" or "models" or "resnet18")
        {
            var resnet = context.Option("resnet18-onnx", Path.Combine(NuGetRoot(), "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));
            if (File.Exists(resnet) && !context.Quick)
            {
                Model(context, "resnet18", resnet, null, Ints(context.Option("resnet18-batches", "1,8"), "resnet18-batches"));
            }
            else
            {
                Console.WriteLine($"  resnet18: skipped ({(context.Quick ? "quick" : resnet + " not found")})");
            }
        }

        Console.WriteLine($"  load average after: {LoadAverage()}");
    }

    // A comma-separated list of positive integers (a clear error for anything else).
    private static int[] Ints(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = parts.Select(p => int.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 1 ? v : 0).ToArray();
        return values.Length > 0 && values.All(v => v >= 1) ? values : throw new FormatException($"--{option} must be a comma-separated list of positive integers, not '{text}'.");
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
                context.Add(new BenchResult(Name, $"gemm {isa} {size}^3 ({CpuThreads.Max} threads)", ms, gops, "GOPS", scalar is { } s && isa != CpuIsa.Scalar ? gops / s : null, scalar is null ? null : "scalar 512^3"));
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

    private void Model(BenchContext context, string name, string path, string? torchQdq, int[] batches)
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
        bool withFp32 = context.Option("with-fp32", "no") != "no";
        using var fp32 = EngineBuilder.BuildCpu(network, new BuilderConfig { MaxBatchSize = maxBatch });
        var watch = Stopwatch.StartNew();
        using var int8 = EngineBuilder.BuildCpu(network, new BuilderConfig { MaxBatchSize = maxBatch, Int8 = true, Calibrator = new MaxAbsCalibrator([(calibration, 2)]), CalibrationBatchSize = 2 });

        // --direct-ab: the same INT8 engine built with the direct convolution off (im2col path, no fused pools), timed alongside.
        bool directAb = context.Option("direct-ab", "no") != "no";
        bool direct = CpuConvS8.DirectDefault;
        CpuConvS8.DirectDefault = false;
        using var im2col = directAb ? EngineBuilder.BuildCpu(network, new BuilderConfig { MaxBatchSize = maxBatch, Int8 = true, Calibrator = new MaxAbsCalibrator([(calibration, 2)]), CalibrationBatchSize = 2 }) : null;
        CpuConvS8.DirectDefault = direct;
        using var cIm2col = im2col?.CreateExecutionContext();
        Console.WriteLine($"  {name}: {int8.Layers.Count} steps, {int8.Layers.Count(l => l.Int8)} INT8, ISA {int8.HostIsa}; INT8 build with calibration {watch.Elapsed.TotalMilliseconds:F0} ms");

        // ORT's QDQ INT8 peer: the same network exported by QdqExporter with this engine's thresholds (the torch QDQ
        // file of the Fashion CNN when the export refuses the model).
        var qdqPath = CpuOrtPeers.QdqModel(path, int8.Int8Thresholds, name) ?? (torchQdq is not null && File.Exists(torchQdq) ? CpuOrtPeers.BatchDynamic(torchQdq) : null);
        var fp32Path = CpuOrtPeers.BatchDynamic(path);
        int spin = CpuWorkerPool.SpinMicroseconds;
        using var c32 = fp32.CreateExecutionContext();
        using var c8 = int8.CreateExecutionContext();
        foreach (var threads in _threads)
        {
            CpuThreads.Max = threads;
            using var ort = CpuOrtPeers.Session(fp32Path, threads);
            using var ortQdq = qdqPath is null ? null : CpuOrtPeers.Session(qdqPath, threads);
            foreach (var batch in batches)
            {
                var data = Random(item * batch, batch);
                var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal) { [input.Name] = data };
                var ortRun = CpuOrtPeers.Runner(ort, data, batch, input.Dims);
                var qdqRun = ortQdq is null ? null : CpuOrtPeers.Runner(ortQdq, data, batch, input.Dims);
                var reference = ortRun();
                var ours8 = c8.Execute(inputs, batch)[int8.Outputs[0].Name];
                var ours32 = c32.Execute(inputs, batch)[fp32.Outputs[0].Name];
                double maxDiff = ours32.Zip(reference).Max(p => Math.Abs(p.First - p.Second));
                string agree = qdqRun is null ? string.Empty : $", top-1 agreement ours INT8 / ORT QDQ {Top1Agreement(ours8, qdqRun(), batch):P0}";
                Console.WriteLine($"  {name} b{batch} {threads}t: max |ours FP32 − ORT FP32| = {maxDiff:G3} over {reference.Length} outputs{agree}");

                // Both sides: inputs handed over, the run, outputs copied out (ours: Execute = SetInputs + Enqueue + ReadOutputs).
                // --spin-ab: the same engine with the pool's workers sleeping at once between parallel regions (the pool
                // before session 11), the switch set on every call of either runner.
                bool spinAb = context.Option("spin-ab", "no") != "no";
                List<(string Label, Action Run)> runners =
                [
                    ("ours int8", spinAb ? () => ExecuteWithSpin(c8, inputs, batch, spin, spin) : () => c8.Execute(inputs, batch)),
                    ("ort fp32", () => ortRun()),
                ];
                if (spinAb)
                {
                    runners.Add(("ours int8 no-spin", () => ExecuteWithSpin(c8, inputs, batch, 0, spin)));
                }

                if (qdqRun is not null)
                {
                    runners.Add(("ort qdq int8", () => qdqRun()));
                }

                if (cIm2col is not null)
                {
                    runners.Add(("ours int8 im2col", () => cIm2col.Execute(inputs, batch)));
                }

                if (withFp32)
                {
                    runners.Add(("ours fp32", () => c32.Execute(inputs, batch)));
                }

                if (context.Option("profile", "no") != "no")
                {
                    Profile(name, batch, threads, c8);
                }

                if (context.Option("breakdown", "no") != "no")
                {
                    WarmUp(() => c8.Execute(inputs, batch));
                    CpuExecuteBreakdown.Run($"{name} b{batch} {threads}t", c8, data, batch);
                }

                Report(context, $"{name} b{batch} {threads}t", batch, runners, Rounds(context, batch * item));
                if (spinAb && threads > 1)
                {
                    Console.WriteLine($"  {name} b{batch} {threads}t: items of parallel regions run by the pool's workers: {WorkerShare(() => ExecuteWithSpin(c8, inputs, batch, spin, spin))} polling, {WorkerShare(() => ExecuteWithSpin(c8, inputs, batch, 0, spin))} sleeping at once (200 calls each)");
                }
            }
        }
    }

    // Rounds of blocks (default 5 rounds, fewer for long runs): each round runs every runner's block (one warm-up, then
    // the repeats; the order reversed every other round against drift), so ours and ORT see the same load within a
    // round; ratios are taken within a round and their median reported.
    private static (int Rounds, int Repeats) Rounds(BenchContext context, int inputFloats)
    {
        int rounds = int.Parse(context.Option("rounds", context.Quick ? "2" : "5"), System.Globalization.CultureInfo.InvariantCulture);
        if (rounds < 1)
        {
            throw new FormatException($"--rounds must be at least 1, not {rounds}.");
        }

        int repeats = context.Quick ? 3 : inputFloats > 200_000 ? Math.Max(3, context.Repeats / 2) : Math.Max(5, context.Repeats);
        return (rounds, repeats);
    }

    private void Report(BenchContext context, string label, int batch, List<(string Label, Action Run)> runners, (int Rounds, int Repeats) plan)
    {
        var times = new double[runners.Count][];
        for (var i = 0; i < runners.Count; i++)
        {
            times[i] = new double[plan.Rounds];
        }

        var loads = new List<string>();
        for (var round = 0; round < plan.Rounds; round++)
        {
            loads.Add(LoadAverage().Split(' ')[0]);
            for (var j = 0; j < runners.Count; j++)
            {
                int i = round % 2 == 0 ? j : runners.Count - 1 - j;
                // A quiet start for every block: ONNX Runtime's intra-op threads keep spinning after its last run, and
                // at 2 threads on 2 cores a block right after an ORT block found our second core taken by them (ours
                // at 2 threads = its 1-thread time in those rounds, session 10); 100 ms lets them go to sleep.
                Thread.Sleep(100);
                if (round == 0)
                {
                    WarmUp(runners[i].Run);
                }

                times[i][round] = Median(plan.Repeats, runners[i].Run, warmups: 1);
            }
        }

        Console.WriteLine($"  {label}: {plan.Rounds} rounds × {plan.Repeats} repeats, load average (1 min) at each round {string.Join(' ', loads)}");
        for (var i = 0; i < runners.Count; i++)
        {
            double ms = MedianOf(times[i]);
            double ips = batch / ms * 1000;
            context.Add(new BenchResult(Name, $"{label} {runners[i].Label}", ms, ips, "images/s"));
            if (i == 0)
            {
                continue;
            }

            // Ratio ours INT8 / peer in images/s = peer time / our time, within each round; median over rounds.
            var ratios = Enumerable.Range(0, plan.Rounds).Select(r => times[i][r] / times[0][r]).ToArray();
            context.Add(new BenchResult(Name, $"{label} ours int8 / {runners[i].Label}", MedianOf(times[0]), MedianOf(ratios), "ratio", MedianOf(ratios), $"{runners[i].Label} (rounds {string.Join('/', ratios.Select(r => r.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))})"));
        }
    }

    // The share of the pool's items that its workers (not the calling thread) ran over 200 calls.
    private static string WorkerShare(Action run)
    {
        long workers = CpuWorkerPool.WorkerItems, callers = CpuWorkerPool.CallerItems;
        for (var i = 0; i < 200; i++)
        {
            run();
        }

        long w = CpuWorkerPool.WorkerItems - workers, c = CpuWorkerPool.CallerItems - callers;
        return w + c == 0 ? "n/a (no parallel region)" : $"{(double)w / (w + c):P0} of {w + c}";
    }

    // A run with the pool's spin time set to `spin`, restored to `restore` after.
    private static void ExecuteWithSpin(Layers.Runtime.ExecutionContext exec, Dictionary<string, float[]> inputs, int batch, int spin, int restore)
    {
        CpuWorkerPool.SpinMicroseconds = spin;
        exec.Execute(inputs, batch);
        CpuWorkerPool.SpinMicroseconds = restore;
    }

    private static void Profile(string name, int batch, int threads, Layers.Runtime.ExecutionContext exec)
    {
        var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal) { [exec.Engine.Inputs[0].Name] = Random((int)exec.Engine.Inputs[0].Dims.Volume * batch, 3) };
        exec.Profile(inputs, batch);

        // The median of each step over several profiled runs (one run swings several × on a shared machine).
        int runs = batch >= 32 ? 15 : 101;
        var profiles = Enumerable.Range(0, runs).Select(_ => exec.Profile(inputs, batch)).ToArray();
        var first = profiles[0];
        Console.WriteLine($"  profile {name} b{batch} {threads}t int8 (median of {runs} runs per step): {MedianOf([.. profiles.Select(p => p.TotalMilliseconds)]):F4} ms");
        for (var i = 0; i < first.Layers.Count; i++)
        {
            var l = first.Layers[i];
            Console.WriteLine($"    {l.Name,-40} {l.Type,-14} {(l.Int8 ? "int8" : "fp32")} {MedianOf([.. profiles.Select(p => p.Layers[i].Milliseconds)]),9:F4} ms");
        }
    }

    private static double Top1Agreement(float[] a, float[] b, int batch)
    {
        int classes = a.Length / batch, same = 0;
        for (var n = 0; n < batch; n++)
        {
            same += ArgMax(a.AsSpan(n * classes, classes)) == ArgMax(b.AsSpan(n * classes, classes)) ? 1 : 0;
        }

        return (double)same / batch;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (var i = 1; i < v.Length; i++)
        {
            best = v[i] > v[best] ? i : best;
        }

        return best;
    }

    private static double MedianOf(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    // Steady state before the first timed block, for every runner alike: at least 50 calls and 0.3 s (at most 3 s once 3
    // calls ran). .NET's tiered JIT recompiles a method called 30 times after a 100 ms quiet period, so a couple of
    // warm-up calls time the per-call code (Execute, the steps' Run) half-optimised: the Fashion CNN at batch 1 ran
    // ~2× slower in the first rounds than after a few thousand calls.
    private static void WarmUp(Action run)
    {
        var watch = Stopwatch.StartNew();
        for (var calls = 0; calls < 50 || watch.ElapsedMilliseconds < 300; calls++)
        {
            if (calls >= 3 && watch.ElapsedMilliseconds > 3000)
            {
                break;
            }

            run();
        }
    }

    private static double Median(int repeats, Action run, int warmups = 2)
    {
        for (var i = 0; i < warmups; i++)
        {
            run();
        }

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
