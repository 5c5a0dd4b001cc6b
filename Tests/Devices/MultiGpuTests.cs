using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Devices;

/// <summary>
/// The data-parallel runner and the calibration across devices on CUDA: a GPU beside a CPU accelerator gives the CPU
/// backend's INT8 outputs bit for bit (copies through page-locked staging on the GPU); with two or more GPUs every GPU
/// together gives the first GPU's outputs and calibration table.
/// </summary>
public sealed class MultiGpuTests
{
    [Fact]
    [Trait("Category", "Gpu")]
    public void A_gpu_beside_a_cpu_gives_the_cpu_backends_int8_outputs()
    {
        _ = TestDevices.Cuda;
        using var engine = DataParallelRunnerTests.Engine(int8: true);
        var batches = Enumerable.Range(0, 9).Select(i => TestData.Float((int)engine.Inputs[0].Dims.Volume * (1 + (i % 3)), 900 + i)).ToList();
        using var context = engine.CreateExecutionContext();
        var expected = batches.Select(b => context.Execute(b, (int)(b.Length / engine.Inputs[0].Dims.Volume))).ToList();
        using var runner = DataParallelRunner.Create(engine, DeviceSpec.ParseList("cuda:0,cpu"));
        Assert.Equal("cuda", runner.Replicas[0].BackendName);
        var got = runner.Run([.. batches.Select(b => (ReadOnlyMemory<float>)b)]);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Select(BitConverter.SingleToInt32Bits), got[i].Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Every_gpu_together_gives_the_first_gpus_outputs_and_table()
    {
        _ = TestDevices.Cuda;
        Assert.SkipWhen(Int8Device.CudaDeviceCount < 2, "one CUDA device: nothing to spread over");
        var network = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn).Network;
        var (images, _) = OnnxFixtures.FashionTestImages(60);
        var batches = Enumerable.Range(0, 6).Select(i => new CalibrationBatch(i, 10, new Dictionary<string, HostTensor>(StringComparer.Ordinal)
        {
            ["input"] = new HostTensor(images.AsSpan(i * 7840, 7840).ToArray(), [10, 1, 28, 28]),
        })).ToList();
        var data = new InMemoryDataSource(batches);
        var all = DeviceSpec.All();
        using var devices = DeviceSet.Open(all);
        var calibrator = new Calibrator(devices.Devices[0], new EntropyCalibrator());
        var runners = devices.Devices.Select(d => EngineBuilder.CalibrationRunnerOn(d, network, 10)).ToList();
        try
        {
            var one = calibrator.Run(data, new EngineActivationSource(runners[0]), cancellationToken: TestContext.Current.CancellationToken);
            var every = calibrator.RunAcross(data, [.. runners.Select(r => new DeviceActivations(r.Device, new EngineActivationSource(r)))], cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(one.Table.Tensors, every.Table.Tensors);
        }
        finally
        {
            runners.ForEach(r => r.Dispose());
        }

        using var engine = EngineBuilder.Build(network, new BuilderConfig { MaxBatchSize = 10 }, devices.Devices[0]);
        using var context = engine.CreateExecutionContext();
        var inputs = batches.Select(b => b.Inputs["input"].Data).ToList();
        var expected = inputs.Select(x => context.Execute(x, 10)).ToList();
        using var runner = new DataParallelRunner(engine, devices.Devices);
        var got = runner.Run([.. inputs.Select(x => (ReadOnlyMemory<float>)x)]);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Select(BitConverter.SingleToInt32Bits), got[i].Select(BitConverter.SingleToInt32Bits));
        }
    }
}
