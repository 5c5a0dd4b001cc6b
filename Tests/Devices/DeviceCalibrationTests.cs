using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Devices;

/// <summary>
/// Calibration shared by several CPU accelerators (<see cref="Calibrator.RunAcross"/>): the Fashion CNN over 5 uneven
/// batches gives the table, the histograms and the data hash of one device bit for bit, with 2 and 3 devices and every
/// method; through the builder (<see cref="CalibratorRanges.AcrossDevices"/>) the INT8 engine has the same thresholds.
/// A device whose FP32 run fails is named.
/// </summary>
public sealed class DeviceCalibrationTests
{
    private static readonly int[] Sizes = [6, 6, 5, 4, 3];

    [Theory]
    [InlineData(2, "entropy")]
    [InlineData(3, "entropy")]
    [InlineData(3, "percentile")]
    [InlineData(2, "mse")]
    public void Tables_equal_one_device_bit_for_bit(int deviceCount, string method)
    {
        var network = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn).Network;
        var data = Data();
        var calibrator = new Calibrator(TestDevices.Cpu, CalibrationMethods.Create(method)) { ModelHash = "m" };
        CalibrationRun single;
        using (var runner = EngineBuilder.CalibrationRunnerOn(Int8Device.Shared(DeviceKind.Cpu), network, Sizes.Max()))
        {
            single = calibrator.Run(data, new EngineActivationSource(runner), cancellationToken: TestContext.Current.CancellationToken);
        }

        using var devices = DeviceSet.Open([.. Enumerable.Repeat(DeviceSpec.Cpu, deviceCount)]);
        var runners = devices.Devices.Select(d => EngineBuilder.CalibrationRunnerOn(d, network, Sizes.Max())).ToList();
        CalibrationRun across;
        try
        {
            across = calibrator.RunAcross(data, [.. runners.Select(r => new DeviceActivations(r.Device, new EngineActivationSource(r)))], cancellationToken: TestContext.Current.CancellationToken);
        }
        finally
        {
            runners.ForEach(r => r.Dispose());
        }

        Assert.Equal(single.Table.DataHash, across.Table.DataHash);
        Assert.Equal(single.Table.Tensors, across.Table.Tensors);
        Assert.Equal(single.Histograms.Select(h => h.Name), across.Histograms.Select(h => h.Name));
        for (var i = 0; i < single.Histograms.Count; i++)
        {
            var (a, b) = (single.Histograms[i], across.Histograms[i]);
            Assert.Equal(a.Counts, b.Counts);
            Assert.Equal(BitConverter.SingleToInt32Bits(a.Amax), BitConverter.SingleToInt32Bits(b.Amax));
            Assert.Equal(BitConverter.SingleToInt32Bits(a.MinAbs), BitConverter.SingleToInt32Bits(b.MinAbs));
            Assert.Equal((a.Batches, a.NaNCount, a.InfCount), (b.Batches, b.NaNCount, b.InfCount));
        }

        Assert.True(single.Table.Tensors.Count >= 5);
        Assert.All(single.Table.Tensors, t => Assert.Equal(Sizes.Length, t.Batches));
    }

    [Fact]
    public void The_builder_calibrating_across_devices_gives_the_same_engine_thresholds()
    {
        var network = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn).Network;
        var config = new Func<IRangeCalibrator, BuilderConfig>(c => new BuilderConfig { MaxBatchSize = 6, Int8 = true, Calibrator = c, CalibrationBatchSize = 6 });
        var calibrator = new Calibrator(TestDevices.Cpu, new EntropyCalibrator());
        var one = new CalibratorRanges(calibrator, Data(), cancellationToken: TestContext.Current.CancellationToken);
        using var a = EngineBuilder.BuildCpu(network, config(one));
        using var devices = DeviceSet.Open(DeviceSpec.ParseList("cpu,cpu"));
        var two = CalibratorRanges.AcrossDevices(calibrator, Data(), network, devices.Devices, cancellationToken: TestContext.Current.CancellationToken);
        using var b = EngineBuilder.BuildCpu(network, config(two));
        Assert.Equal(one.LastRun!.Table.Tensors, two.LastRun!.Table.Tensors);
        Assert.Equal(a.Int8Thresholds.OrderBy(kv => kv.Key), b.Int8Thresholds.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void A_failing_device_is_named()
    {
        using var devices = DeviceSet.Open(DeviceSpec.ParseList("cpu,cpu"));
        var calibrator = new Calibrator(TestDevices.Cpu, new MinMaxCalibrator());
        // Device 0 waits until device 1 has taken a batch (and failed on it), so device 1 surely runs one.
        using var failed = new ManualResetEventSlim();
        using var inputs = new InputActivationSource(devices.Devices[0]);
        var ex = Assert.Throws<InvalidOperationException>(() => calibrator.RunAcross(Data(), [new DeviceActivations(devices.Devices[0], new Waiting(inputs, failed)), new DeviceActivations(devices.Devices[1], new Failing(failed))], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains($"failed on device 1 ({devices.Devices[1].DisplayName})", ex.Message, StringComparison.Ordinal);
        Assert.Contains("injected failure", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>24 Fashion-MNIST test images in 5 batches of uneven size.</summary>
    private static InMemoryDataSource Data()
    {
        var (images, _) = OnnxFixtures.FashionTestImages(Sizes.Sum());
        var batches = new List<CalibrationBatch>();
        var first = 0;
        foreach (var n in Sizes)
        {
            var tensor = new HostTensor(images.AsSpan(first * 784, n * 784).ToArray(), [n, 1, 28, 28]);
            batches.Add(new CalibrationBatch(batches.Count, n, new Dictionary<string, HostTensor>(StringComparer.Ordinal) { ["input"] = tensor }));
            first += n;
        }

        return new InMemoryDataSource(batches);
    }

    private sealed class Failing(ManualResetEventSlim failed) : IActivationSource
    {
        public IEnumerable<(string Name, ILGPU.ArrayView<float> Data)> Run(CalibrationBatch batch)
        {
            failed.Set();
            throw new IOException("injected failure");
        }
    }

    private sealed class Waiting(IActivationSource inner, ManualResetEventSlim failed) : IActivationSource
    {
        public IEnumerable<(string Name, ILGPU.ArrayView<float> Data)> Run(CalibrationBatch batch)
        {
            failed.Wait(TimeSpan.FromSeconds(30));
            return inner.Run(batch);
        }
    }
}
