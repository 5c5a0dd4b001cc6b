using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Data;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// Our calibration carried out as a QDQ model: ONNX Runtime runs the export of the Fashion-MNIST CNN within 0.3 points
/// of our INT8 engine's top-1 (the 10 000 test images where Debian's dataset-fashion-mnist is installed, else the 2000
/// shipped images the calibration did not see), and our importer reads the export back into an engine whose INT8 output
/// is bit-identical to the original's.
/// </summary>
public sealed class QdqExportTests
{
    private const string FullSet = "/usr/share/datasets/fashion-mnist";
    private const int Batch = 250;

    [Fact]
    public void OnnxRuntimeRunsTheExportAtOurInt8Accuracy()
    {
        var (calibration, test, labels, where) = Data();
        var model = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn);
        var ranges = new CalibratorRanges(new Calibrator(Int8Device.Shared(), new EntropyCalibrator()), new InMemoryDataSource(calibration));
        using var ours = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = Batch, Int8 = true, Calibrator = ranges });
        var bytes = QdqExporter.Export(File.ReadAllBytes(OnnxFixtures.FashionCnn), ours.Int8Thresholds, out var summary);
        Assert.Equal(4, summary.Weights.Count);                                 // conv1, conv2, fc1, fc2
        Assert.Contains("input", summary.Activations);
        Assert.True(summary.Activations.Count >= 6, string.Join(", ", summary.Activations));

        var oursOut = Run(ours, test);
        using var session = new InferenceSession(bytes);
        var ortOut = new float[oursOut.Length];
        for (var start = 0; start < labels.Length; start += Batch)
        {
            var n = Math.Min(Batch, labels.Length - start);
            var tensor = new DenseTensor<float>(test.AsMemory(start * 784, n * 784), [n, 1, 28, 28]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
            results.First().AsTensor<float>().ToArray().CopyTo(ortOut, start * 10);
        }

        var ourTop1 = Top1(oursOut, labels);
        var ortTop1 = Top1(ortOut, labels);
        Assert.True(Math.Abs(ourTop1 - ortTop1) <= 0.003, $"{where}: ours {ourTop1:P2}, ONNX Runtime on the QDQ export {ortTop1:P2}");
        Assert.True(ourTop1 > 0.85, $"{where}: INT8 top-1 {ourTop1:P2}");

        // Read back by our importer: the export's ranges and int8 weights give the engine we exported from.
        var reread = OnnxNetworkLoader.Load(bytes, "qdq-export");
        using var again = EngineBuilder.Build(reread.Network, new BuilderConfig { MaxBatchSize = Batch, Int8 = true });
        var againOut = Run(again, test);
        // The QDQ pairs sit on the graph input and after each ReLU (none between a convolution and its ReLU): the builder
        // gives a fused step's pre-ReLU tensor the ReLU output's range, so every layer runs INT8 as in the original.
        Assert.Equal(ours.Layers.Select(l => (l.Name, l.Int8)), again.Layers.Select(l => (l.Name, l.Int8)));
        Exact.EqualBits(oursOut, againOut, $"{where}: the reimported QDQ export vs the engine it was exported from\n{string.Join("\n", reread.Notes)}");
        Assert.Equal(4, reread.Notes.Count(n => n.Contains("equal the model's QDQ int8 weights", StringComparison.Ordinal)));
    }

    [Fact]
    public void RefusesOldOpsetsAndGarbage()
    {
        Assert.Throws<OnnxImportException>(() => QdqExporter.Export([1, 2, 3, 250], new Dictionary<string, float>(), out _));
    }

    private static (List<CalibrationBatch> Calibration, float[] Test, int[] Labels, string Where) Data()
    {
        string images, labelsPath, trainImages;
        int testCount, calibrationFirst;
        if (File.Exists(Path.Combine(FullSet, "t10k-images-idx3-ubyte.gz")))
        {
            (images, labelsPath, trainImages) = (Path.Combine(FullSet, "t10k-images-idx3-ubyte.gz"), Path.Combine(FullSet, "t10k-labels-idx1-ubyte.gz"), Path.Combine(FullSet, "train-images-idx3-ubyte.gz"));
            (testCount, calibrationFirst) = (10_000, 0);
        }
        else
        {
            images = Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-images.idx.gz");
            (labelsPath, trainImages) = (Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-labels.idx.gz"), images);
            (testCount, calibrationFirst) = (2000, 2000);
        }

        var (testBytes, labelBytes, _) = FashionMnist.Load(images, labelsPath);
        var (trainBytes, _, _) = FashionMnist.Load(trainImages, labelsPath.Replace("t10k", trainImages == images ? "t10k" : "train", StringComparison.Ordinal));
        var calibration = Enumerable.Range(0, 1000 / Batch)
            .Select(b => new CalibrationBatch(b, Batch, new Dictionary<string, HostTensor>
            {
                ["input"] = new HostTensor(FashionMnist.Normalize(trainBytes, calibrationFirst + (b * Batch), Batch), Batch, 1, 28, 28),
            }))
            .ToList();
        var where = testCount == 10_000 ? "10 000 test images, calibrated on the first 1000 training images" : "shipped images 0-1999, calibrated on 2000-2999";
        return (calibration, FashionMnist.Normalize(testBytes, 0, testCount), [.. labelBytes[..testCount].Select(l => (int)l)], where);
    }

    private static float[] Run(Engine engine, float[] images)
    {
        using var context = engine.CreateExecutionContext();
        var count = images.Length / 784;
        var output = new float[count * 10];
        for (var start = 0; start < count; start += Batch)
        {
            var n = Math.Min(Batch, count - start);
            context.Execute(images.AsSpan(start * 784, n * 784), output.AsSpan(start * 10, n * 10), n);
        }

        return output;
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var c = 1; c < row.Length; c++)
        {
            best = row[c] > row[best] ? c : best;
        }

        return best;
    }

    private static double Top1(float[] probabilities, int[] labels) =>
        (double)labels.Select((l, n) => ArgMax(probabilities.AsSpan(n * 10, 10)) == l ? 1 : 0).Sum() / labels.Length;
}
