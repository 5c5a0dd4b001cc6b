// Calibrate an FP32 ONNX model with each method (entropy, min-max, percentile, MSE), build an INT8 engine from each
// table and compare top-1 with FP32 on held-out images. The library's CalibrationPolicy applies (entropy: network
// inputs min-max), exactly as `ilgpu-int8 calibrate` does.
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Samples;

const int Batch = 100;
var model = OnnxNetworkLoader.Load(args.Length > 0 ? args[0] : SampleData.ModelsFile("fashion_cnn.onnx"));
var (calibration, _) = SampleData.Images(2000, 500);                  // calibrate on images 2000..2499
var (test, labels) = SampleData.Images(0, 1000);                      // evaluate on the disjoint 0..999
var batches = Enumerable.Range(0, 5)
    .Select(b => new CalibrationBatch(b, Batch, new Dictionary<string, HostTensor>
    {
        ["input"] = new HostTensor(calibration[(b * Batch * 784)..((b + 1) * Batch * 784)], Batch, 1, 28, 28),
    }))
    .ToList();

using var fp32 = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = Batch });
Console.WriteLine($"{"method",-11} {"top-1",7}  {"first conv T",12}");
Console.WriteLine($"{"fp32",-11} {Evaluate(fp32),7:P2}");
ICalibrationMethod[] methods = [new EntropyCalibrator(), new MinMaxCalibrator(), new PercentileCalibrator(99.99), new MseCalibrator()];
foreach (var method in methods)
{
    var ranges = new CalibratorRanges(new Calibrator(Int8Device.Shared(), method), new InMemoryDataSource(batches));
    using var int8 = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = Batch, Int8 = true, Calibrator = ranges });
    var first = ranges.LastRun!.Table.Tensors[1];
    Console.WriteLine($"{method.Name,-11} {Evaluate(int8),7:P2}  {first.Threshold,12:F3}  ({first.Name})");
}

double Evaluate(Engine engine)
{
    using var context = engine.CreateExecutionContext();
    var probabilities = new float[test.Length / 784 * 10];
    for (var start = 0; start < labels.Length; start += Batch)
    {
        context.Execute(test.AsSpan(start * 784, Batch * 784), probabilities.AsSpan(start * 10, Batch * 10), Batch);
    }

    return SampleData.Top1(probabilities, labels);
}
