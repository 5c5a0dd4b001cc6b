using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Cli;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

/// <summary>
/// The calibration policy is library behaviour: a library caller who picks <see cref="EntropyCalibrator"/> gets the
/// table <c>ilgpu-int8 calibrate --method entropy</c> writes, bit for bit, on the same Fashion-MNIST images.
/// </summary>
public sealed class CalibrationPolicyTests : IDisposable
{
    private const int Count = 8;
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void LibraryEntropyCalibrationEqualsTheClis()
    {
        var images = NormalizedImages();
        var npy = _h.Path("calib.npy");
        TensorFiles.Write(npy, "input", new FileTensor(images, [Count, 1, 28, 28]));
        var table = _h.Path("cli.cache");
        CliHarness.RunOk("calibrate", "--model", CliHarness.Model, "--data", npy, "--method", "entropy", "--table", table, "--batch", $"{Count}");
        var cli = CalibrationJson.Read(table + ".json");

        var library = LibraryRun(images, CalibrationPolicy.Default);
        Assert.Equal(cli.Tensors.Count, library.Table.Tensors.Count);
        foreach (var entry in cli.Tensors)
        {
            var mine = library.Table[entry.Name];
            Assert.Equal(entry.Method, mine.Method);
            Assert.Equal(entry.Threshold, mine.Threshold);
        }

        // The rule is what makes them equal: the input is min-max (T = amax), the rest entropy.
        var input = library.Table["input"];
        Assert.Equal("minmax", input.Method);
        Assert.Equal(input.Amax, input.Threshold);
        Assert.Contains(library.Table.Tensors, t => t.Method == "entropy");
    }

    [Fact]
    public void PolicyOffLeavesEntropyOnTheInput()
    {
        var run = LibraryRun(NormalizedImages(), CalibrationPolicy.Default with { InputsMinMaxUnderEntropy = false });
        Assert.Equal("entropy", run.Table["input"].Method);
        Assert.All(run.Table.Tensors, t => Assert.Equal("entropy", t.Method));
    }

    [Fact]
    public void PolicyWrapsOnlyEntropy()
    {
        var policy = CalibrationPolicy.Default;
        var minMax = new MinMaxCalibrator();
        Assert.Same(minMax, policy.MethodFor(minMax, ["input"]));
        var percentile = new PercentileCalibrator();
        Assert.Same(percentile, policy.MethodFor(percentile, ["input"]));
        Assert.IsType<InputsMinMax>(policy.MethodFor(new EntropyCalibrator(), ["input"]));
    }

    private static CalibrationRun LibraryRun(float[] images, CalibrationPolicy policy)
    {
        var model = OnnxNetworkLoader.Load(CliHarness.Model);
        var batch = new CalibrationBatch(0, Count, new Dictionary<string, HostTensor> { ["input"] = new HostTensor(images, Count, 1, 28, 28) });
        var ranges = new CalibratorRanges(new Calibrator(Int8Device.Shared(), new EntropyCalibrator()), new InMemoryDataSource([batch]));
        var config = new BuilderConfig { MaxBatchSize = Count, Int8 = true, Calibrator = ranges, CalibrationPolicy = policy };
        using var engine = EngineBuilder.Build(model.Network, config);
        return ranges.LastRun!;
    }

    // (x - 0.2860) / 0.3530: the normalization the shipped model was trained with.
    private static float[] NormalizedImages() =>
        [.. OnnxFixtures.FashionTestImages(Count).Images.Select(x => (x - 0.2860f) / 0.3530f)];
}
