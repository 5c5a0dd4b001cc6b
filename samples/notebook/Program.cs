// The code cells of FashionInt8.ipynb (without its #i/#r package lines), in order, so CI builds and runs the notebook's
// C#: load the FP32 ONNX model, calibrate with entropy, build INT8, compare top-1 with FP32, write the histograms
// (cells that start "// notebook only" only display, and are left out here). Tests/Runtime/NotebookTests
// checks that this file and the notebook agree.
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;

string ModelsFile(string name)
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var dir = new System.IO.DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "Models", name);
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }
    }

    throw new System.IO.FileNotFoundException($"Models/{name} not found: run from the repository.");
}

// Images [start, start + count), x' = (x / 255 − 0.2860) / 0.3530 as the model was trained, NCHW [count, 1, 28, 28].
(float[] Images, int[] Labels) LoadImages(int start, int count)
{
    var images = IdxFile.Read(ModelsFile(System.IO.Path.Combine("data", "fashion-t10k-3000-images.idx.gz")));
    var labels = IdxFile.Read(ModelsFile(System.IO.Path.Combine("data", "fashion-t10k-3000-labels.idx.gz")));
    var pixels = images.ToFloat(255f, (long)start * 28 * 28, count * 28 * 28);
    for (var i = 0; i < pixels.Length; i++)
    {
        pixels[i] = (pixels[i] - 0.2860f) / 0.3530f;
    }

    return (pixels, Enumerable.Range(start, count).Select(i => (int)labels[i]).ToArray());
}

const int Batch = 100;
var model = OnnxNetworkLoader.Load(ModelsFile("fashion_cnn.onnx"));
var (test, labels) = LoadImages(0, 1000);

float[] Run(Engine engine)
{
    using var context = engine.CreateExecutionContext();
    var probabilities = new float[labels.Length * 10];
    for (var start = 0; start < labels.Length; start += Batch)
    {
        context.Execute(test.AsSpan(start * 784, Batch * 784), probabilities.AsSpan(start * 10, Batch * 10), Batch);
    }

    return probabilities;
}

int[] Classes(float[] probabilities) =>
    Enumerable.Range(0, probabilities.Length / 10).Select(n => Array.IndexOf(probabilities, probabilities.AsSpan(n * 10, 10).ToArray().Max(), n * 10) - (n * 10)).ToArray();

double Top1(float[] probabilities) => Classes(probabilities).Zip(labels).Average(p => p.First == p.Second ? 1.0 : 0.0);

var fp32 = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = Batch });
var fp32Out = Run(fp32);
Console.WriteLine($"{fp32.BackendName} FP32 top-1 on {labels.Length} images: {Top1(fp32Out):P2}");

var (calibration, _) = LoadImages(2000, 500);
var batches = Enumerable.Range(0, 5)
    .Select(b => new CalibrationBatch(b, Batch, new Dictionary<string, HostTensor>
    {
        ["input"] = new HostTensor(calibration[(b * Batch * 784)..((b + 1) * Batch * 784)], Batch, 1, 28, 28),
    }))
    .ToList();
var ranges = new CalibratorRanges(new Calibrator(Int8Device.Shared(), new EntropyCalibrator()), new InMemoryDataSource(batches));

var int8 = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = Batch, Int8 = true, Calibrator = ranges });
foreach (var t in ranges.LastRun!.Table.Tensors)
{
    Console.WriteLine($"{t.Name,-36} amax {t.Amax,9:F3}  threshold {t.Threshold,9:F3}");
}

var int8Out = Run(int8);
var agreement = Classes(int8Out).Zip(Classes(fp32Out)).Average(p => p.First == p.Second ? 1.0 : 0.0);
Console.WriteLine($"INT8 top-1 {Top1(int8Out):P2} (FP32 {Top1(fp32Out):P2}), same class as FP32 on {agreement:P2}");
Console.WriteLine(int8.Describe());

var plotFolder = System.IO.Directory.CreateTempSubdirectory("fashion-int8-histograms-").FullName;
var plots = ranges.LastRun!.Histograms
    .Select(h =>
    {
        var path = System.IO.Path.Combine(plotFolder, string.Concat(h.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_')) + ".svg");
        HistogramPlot.WriteSvg(path, h, ranges.LastRun!.Results[h.Name], 640, 320);
        return path;
    })
    .ToList();
Console.WriteLine($"{plots.Count} histograms (SVG) in {plotFolder}");
