// A calibration data source of your own: ICalibrationDataSource serves batches of named NCHW float inputs. This one
// reads the shipped Fashion-MNIST IDX images lazily, normalizes them the way the model was trained and can be rewound
// (the calibrator makes two passes: ranges, then histograms). The resulting table is saved as a TensorRT cache.
using System.Diagnostics.CodeAnalysis;
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Samples;

var model = OnnxNetworkLoader.Load(SampleData.ModelsFile("fashion_cnn.onnx"));
var source = new NormalizedImages(start: 2000, count: 640, batchSize: 64);
var ranges = new CalibratorRanges(new Calibrator(Int8Device.Shared(), new EntropyCalibrator()), source);
using var engine = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = 64, Int8 = true, Calibrator = ranges });

var table = ranges.LastRun!.Table;
var cache = Path.Combine(Path.GetTempPath(), "fashion_cnn.calibration.cache");
table.ToCache().Write(cache);
Console.WriteLine($"{table.Tensors.Count} tensors calibrated over {source.Served} batches served (two passes); cache: {cache}");
foreach (var t in table.Tensors)
{
    Console.WriteLine($"  {t.Name,-32} {t.Method,-8} T = {t.Threshold,8:F4}");
}

/// <summary>Shipped images [start, start + count), normalized, in batches; read on demand.</summary>
internal sealed class NormalizedImages(int start, int count, int batchSize) : ICalibrationDataSource
{
    private int _next;

    public IReadOnlyList<string> InputNames { get; } = ["input"];

    public int BatchSize => batchSize;

    public int? BatchCount => (count + batchSize - 1) / batchSize;

    public int Served { get; private set; }

    public bool TryGetNext([NotNullWhen(true)] out CalibrationBatch? batch)
    {
        if (_next * batchSize >= count)
        {
            batch = null;
            return false;
        }

        var size = Math.Min(batchSize, count - (_next * batchSize));
        var (images, _) = SampleData.Images(start + (_next * batchSize), size);
        batch = new CalibrationBatch(_next++, size, new Dictionary<string, HostTensor> { ["input"] = new HostTensor(images, size, 1, 28, 28) });
        Served++;
        return true;
    }

    public void Rewind() => _next = 0;
}
