using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Several devices of one host (<c>--devices</c>, default <c>all</c>): ResNet-18 INT8 at batch 256 through a
/// <see cref="DataParallelRunner"/> on the first device alone and on all of them (images/s, ratio N/1; the goal on two
/// H200s is ≥ 1.9), and entropy calibration of <c>--images</c> (default 10 000) images on one device and shared by all
/// (<see cref="Calibrator.RunAcross"/>; ratio of the times, goal ≥ 1.8), checking that both tables are equal.
/// <c>--quick</c>: a 32×32 ResNet-18, batch 8, 64 images (a CPU smoke run with <c>--devices cpu,cpu</c>).
/// </summary>
public sealed class MultiDeviceBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "multigpu";

    /// <inheritdoc />
    public string Description => "ResNet-18 INT8 b256 images/s and calibration time on 1 vs N devices (--devices, default all)";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        var specs = DeviceSpec.ParseList(context.Option("devices", "all"));
        using var devices = DeviceSet.Open(specs);
        var quick = context.Quick;
        var network = quick ? SyntheticModels.ResNet18(32, 10) : SyntheticModels.ResNet18();
        var batch = quick ? 8 : 256;
        Console.WriteLine($"  devices: {string.Join(", ", devices.Devices.Select(d => d.DisplayName))}");
        Throughput(context, network, batch, devices.Devices);
        Calibration(context, network, quick ? 64 : int.Parse(context.Option("images", "10000"), System.Globalization.CultureInfo.InvariantCulture), quick ? 8 : 100, devices.Devices);
    }

    private void Throughput(BenchContext context, NetworkDefinition network, int batch, IReadOnlyList<Int8Device> devices)
    {
        var input = network.Inputs[0];
        var calibration = new Dictionary<string, float[]> { [input.Name] = Random((int)input.Dims.Volume * 2, 7) };
        var config = new BuilderConfig { MaxBatchSize = batch, Int8 = true, Calibrator = new MaxAbsCalibrator([(calibration, 2)]), CalibrationBatchSize = 2 };
        using var engine = EngineBuilder.Build(network, config, devices[0]);
        var data = Random((int)input.Dims.Volume * batch, 11);
        double ImagesPerSecond(IReadOnlyList<Int8Device> on)
        {
            using var runner = new DataParallelRunner(engine, on);
            var batches = Enumerable.Repeat((ReadOnlyMemory<float>)data, on.Count * (context.Quick ? 2 : 16)).ToList();
            runner.Run([.. batches.Take(on.Count * 2)]); // warm-up: kernels loaded, graphs captured on every device
            var best = 0.0;
            for (var r = 0; r < Math.Max(1, context.Repeats / 3); r++)
            {
                runner.Run(batches);
                best = Math.Max(best, runner.LastRun!.ItemsPerSecond);
            }

            return best;
        }

        var one = ImagesPerSecond([devices[0]]);
        var all = ImagesPerSecond(devices);
        context.Add(new BenchResult(Name, $"resnet18 int8 b{batch}, 1 device", batch * 1000.0 / one, one, "img/s"));
        context.Add(new BenchResult(Name, $"resnet18 int8 b{batch}, {devices.Count} devices", batch * 1000.0 / all, all, "img/s", all / one, "1 device"));
    }

    private void Calibration(BenchContext context, NetworkDefinition network, int images, int batch, IReadOnlyList<Int8Device> devices)
    {
        var data = new GeneratedSource(network.Inputs[0].Name, network.Inputs[0].Dims, images, batch);
        var calibrator = new Calibrator(devices[0], new EntropyCalibrator());
        var runners = devices.Select(d => EngineBuilder.CalibrationRunnerOn(d, network, batch)).ToList();
        try
        {
            var watch = Stopwatch.StartNew();
            var single = calibrator.Run(data, new EngineActivationSource(runners[0]));
            var oneMs = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            var across = calibrator.RunAcross(data, [.. runners.Select(r => new DeviceActivations(r.Device, new EngineActivationSource(r)))]);
            var allMs = watch.Elapsed.TotalMilliseconds;
            var equal = single.Table.Tensors.SequenceEqual(across.Table.Tensors);
            Console.WriteLine($"  calibration tables equal: {(equal ? "yes" : "NO")}");
            context.Add(new BenchResult(Name, $"calibrate {images} images, 1 device", oneMs, images * 1000.0 / oneMs, "img/s"));
            context.Add(new BenchResult(Name, $"calibrate {images} images, {devices.Count} devices{(equal ? string.Empty : " (TABLES DIFFER)")}", allMs, images * 1000.0 / allMs, "img/s", oneMs / allMs, "1 device"));
        }
        finally
        {
            runners.ForEach(r => r.Dispose());
        }
    }

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    /// <summary>Batches of seeded random images, cycling through 8 distinct ones (generating each batch anew would time the generator).</summary>
    private sealed class GeneratedSource(string name, TensorDims dims, int images, int batch) : ICalibrationDataSource
    {
        private readonly float[][] _pool = [.. Enumerable.Range(0, 8).Select(i => Random((int)dims.Volume * batch, 100 + i))];
        private int _next;

        public IReadOnlyList<string> InputNames => [name];

        public int BatchSize => batch;

        public int? BatchCount => (images + batch - 1) / batch;

        public bool TryGetNext([NotNullWhen(true)] out CalibrationBatch? next)
        {
            var first = _next * batch;
            if (first >= images)
            {
                next = null;
                return false;
            }

            var n = Math.Min(batch, images - first);
            var values = n == batch ? _pool[_next % 8] : _pool[_next % 8].AsSpan(0, (int)dims.Volume * n).ToArray();
            next = new CalibrationBatch(_next, n, new Dictionary<string, HostTensor>(StringComparer.Ordinal) { [name] = new HostTensor(values, [n, dims.C, dims.H, dims.W]) });
            _next++;
            return true;
        }

        public void Rewind() => _next = 0;
    }
}
