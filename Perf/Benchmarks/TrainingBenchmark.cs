using System.Diagnostics;
using System.Globalization;
using ILGPUInt8.Perf.Harness;
using ILGPUInt8.Training;
using ILGPUInt8.Training.Onnx;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// One SGD epoch of the Fashion-MNIST CNN (Models/fashion_cnn.onnx, batch 64, learning rate 0.01, seed 1: an INQ
/// retraining epoch's work) with the GEMMs on the host SGEMM and on the device (<see cref="TrainingDevice"/>:
/// <c>GemmF32Fma</c>), the two checked bit-identical (weights and mean loss) before the times are recorded. Images:
/// <c>--data DIR</c> (its train-* IDX files; <c>--images N</c> the first N), else the 3000 shipped test images;
/// <c>--quick</c> 8 in batches of 4 (a smoke run; the CPU accelerator simulates every GPU thread). One timed epoch each after a warm-up batch (kernels compiled, buffers allocated).
/// </summary>
public sealed class TrainingBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "training";

    /// <inheritdoc />
    public string Description => "one SGD epoch of the Fashion CNN (an INQ retraining epoch): host SGEMM vs the device's FP32 FMA GEMM, bit-identical";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        var root = RepositoryRoot();
        var model = Path.Combine(root, "Models", "fashion_cnn.onnx");
        var folder = context.Option("data", string.Empty);
        var data = folder.Length > 0 ? LabelledImages.Load(folder, train: true) : LabelledImages.LoadShipped(root);
        int images = context.Quick ? 8 : int.Parse(context.Option("images", data.Count.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        data = data.Slice(0, Math.Min(images, data.Count));
        int batch = context.Quick ? 4 : 64;

        var (hostMs, hostWeights) = Epoch(TrainingDevice.Host, model, data, batch);
        string shape = $"{data.Count} images, batch {batch}";
        context.Add(new BenchResult(Name, $"host sgemm epoch ({shape}, {Environment.ProcessorCount} cores)", hostMs, data.Count / (hostMs / 1000), "images/s"));
        if (!context.Device.IsCuda && !context.Quick)
        {
            Console.WriteLine("training: no CUDA device; the CPU accelerator simulates every GPU thread (run with --quick for a smoke run).");
            return;
        }

        using var device = TrainingDevice.On(context.Device);
        var (deviceMs, deviceWeights) = Epoch(device, model, data, batch);
        if (!hostWeights.AsSpan().SequenceEqual(deviceWeights))
        {
            throw new InvalidOperationException("training: the device epoch's weights or loss differ from the host's (they must be bit-identical).");
        }

        context.Add(new BenchResult(Name, $"device epoch on {device.Description} ({shape})", deviceMs, data.Count / (deviceMs / 1000), "images/s", hostMs / deviceMs, "host sgemm"));
    }

    // A warm-up batch on a fresh network, then one timed epoch on another: (ms, bits of the loss and every weight).
    private static (double Ms, int[] Bits) Epoch(TrainingDevice device, string model, LabelledImages data, int batch)
    {
        var warm = OnnxTrainable.Load(model);
        warm.Device = device;
        Trainer.Epoch(warm, data.Slice(0, Math.Min(batch, data.Count)), new SgdMomentum(0.01f), batch, seed: 1);
        var net = OnnxTrainable.Load(model);
        net.Device = device;
        var watch = Stopwatch.StartNew();
        double loss = Trainer.Epoch(net, data, new SgdMomentum(0.01f), batch, seed: 1);
        double ms = watch.Elapsed.TotalMilliseconds;
        long bits = BitConverter.DoubleToInt64Bits(loss);
        return (ms, [(int)bits, (int)(bits >> 32), .. net.Parameters.SelectMany(p => p.Value).Select(BitConverter.SingleToInt32Bits)]);
    }

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
}
