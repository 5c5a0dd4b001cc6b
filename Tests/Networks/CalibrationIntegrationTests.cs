using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>The Calibration project's calibrator driving the builder through the engine's activation source.</summary>
public sealed class CalibrationIntegrationTests
{
    [Fact]
    public void Calibration_project_calibrator_observes_every_tensor_and_builds_an_int8_engine()
    {
        var net = TestNetworks.SmallCnn();
        var batches = Enumerable.Range(0, 2)
            .Select(i => new HostTensor(TestNetworks.Inputs(net, 2, 200 + i)["data"], 2, 3, 8, 8))
            .ToList();
        var data = InMemoryDataSource.FromTensors("data", batches);
        var ranges = new CalibratorRanges(new Calibrator(TestDevices.Cpu, new MinMaxCalibrator()), data);
        using var engine = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, Calibrator = ranges }, TestDevices.Cpu);

        var table = ranges.LastRun!.Table;
        Assert.Contains(table.Tensors, t => t.Name == "data");
        Assert.Contains(table.Tensors, t => t.Name == "relu1");
        Assert.Contains(table.Tensors, t => t.Name == "prob");
        Assert.DoesNotContain(table.Tensors, t => t.Name == "conv1"); // folded with bn1 and fused: never materialised in FP32
        Assert.All(engine.Layers, l => Assert.True(l.Int8, $"{l.Name} is not INT8"));

        // Min-max thresholds are the max |x| over both batches: the same as the host calibrator's.
        var inputs0 = TestNetworks.Inputs(net, 2, 200);
        var inputs1 = TestNetworks.Inputs(net, 2, 201);
        var host = new MaxAbsCalibrator([(inputs0, 2), (inputs1, 2)]);
        using var hostEngine = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, Calibrator = host }, TestDevices.Cpu);
        var thresholds = table.ToThresholds();
        foreach (var t in hostEngine.Plan.Tensors.Where(t => thresholds.ContainsKey(t.Name)))
        {
            Assert.Equal(t.Threshold!.Value, thresholds[t.Name], 4);
        }

        // The table written as a TensorRT cache and read back builds an engine too.
        var cache = CalibrationCache.Parse(table.ToCache().ToText());
        using var fromCache = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, CalibrationTable = cache.ToThresholds() }, TestDevices.Cpu);
        TestNetworks.Near(TestNetworks.Run(engine, inputs0, 2), TestNetworks.Run(fromCache, inputs0, 2), "from cache", 0f, 0.02f);
    }
}
