using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class FashionDataTests
{
    private static string Images => Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-images.idx.gz");

    private static string Labels => Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-labels.idx.gz");

    [Fact]
    public void Committed_fashion_mnist_subset_reads_as_scaled_batches_with_labels()
    {
        var source = new IdxDataSource(Images, Labels, batchSize: 64, inputName: "input", maxSamples: 200);
        Assert.Equal(4, source.BatchCount);
        var batches = source.Batches().ToList();
        Assert.Equal([64, 64, 64, 8], batches.Select(b => b.Size));
        Assert.Equal([64, 1, 28, 28], batches[0].Inputs["input"].Shape);
        var pixels = batches.SelectMany(b => b.Inputs["input"].Data).ToArray();
        Assert.All(pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, pixels.Max());
        Assert.All(batches.SelectMany(b => b.Labels!), l => Assert.InRange(l, 0, 9));

        // Calibrating the images themselves: amax 1 (white pixels), and the background zeros do not drag entropy down.
        using var activations = new InputActivationSource(TestDevices.Cpu);
        var run = new Calibrator(TestDevices.Cpu, new EntropyCalibrator()).Run(source, activations, cancellationToken: TestContext.Current.CancellationToken);
        var entry = run.Table["input"];
        Assert.Equal(1.0, entry.Amax);
        Assert.InRange(entry.Threshold, 0.5, 1.0);
        Assert.Equal(CalibrationFlags.None, entry.Flags);
    }
}
