using ILGPUInt8.Layers.Network;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

public sealed class SmallCnnEngineTests
{
    [Fact]
    public void Fp32_engine_matches_layer_by_layer_reference()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        using var engine = TestNetworks.Build(net, 2, int8: false);
        Assert.All(engine.Layers, l => Assert.False(l.Int8));
        Assert.Contains(engine.Layers, l => l.Layers.SequenceEqual(["conv1", "bn1", "relu1"]));
        TestNetworks.Near(NetworkReference.Run(net, inputs, 2), TestNetworks.Run(engine, inputs, 2), "small CNN fp32");
    }

    [Fact]
    public void Int8_engine_with_given_ranges_equals_reference_pipeline_bit_exactly()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        Assert.Contains(engine.Layers, l => l.Int8 && l.Layers.Contains("conv1"));
        Assert.Contains(engine.Layers, l => l.Int8 && l.Layers.Contains("fc"));
        var actual = TestNetworks.Run(engine, inputs, 2);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 2), actual, "small CNN int8 vs reference pipeline");

        // And INT8 stays close to FP32 (probabilities within a few hundredths).
        TestNetworks.Near(NetworkReference.Run(net, inputs, 2), actual, "small CNN int8 vs fp32", 0f, 0.05f);
    }

    [Fact]
    public void Fusion_on_and_off_give_identical_int8_results()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var fused = TestNetworks.Build(net, 2, int8: true, fusion: true);
        using var unfused = TestNetworks.Build(net, 2, int8: true, fusion: false);
        Assert.True(fused.Layers.Count < unfused.Layers.Count, "fusion removed no step");
        TestNetworks.SameBits(TestNetworks.Run(unfused, inputs, 2), TestNetworks.Run(fused, inputs, 2), "fusion on vs off");
    }

    [Fact]
    public void Batches_of_any_size_up_to_the_maximum_agree_item_by_item()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 3);
        TestNetworks.SetRanges(net, inputs, 3);
        using var engine = TestNetworks.Build(net, 3, int8: true);
        using var context = engine.CreateExecutionContext();
        var all = context.Execute(inputs["data"], 3);
        var item = 3 * 8 * 8;
        for (var b = 0; b < 3; b++)
        {
            var one = context.Execute(inputs["data"][(b * item)..((b + 1) * item)], 1);
            Exact.EqualBits(all.AsSpan(b * 10, 10), one, $"item {b}");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => context.Execute(new float[4 * item], 4));
        var ex = Assert.Throws<ArgumentException>(() => context.Execute(new float[item + 1], 1));
        Assert.Contains("data", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrator_plugs_in_and_gives_the_same_engine_as_its_table()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        var calibrator = new MaxAbsCalibrator([(inputs, 2)]);
        using var calibrated = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, Calibrator = calibrator }, TestDevices.Cpu);
        Assert.Contains(calibrated.Layers, l => l.Int8);

        var table = TestNetworks.Thresholds(net, inputs, 2);
        using var fromTable = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, CalibrationTable = table }, TestDevices.Cpu);
        var a = TestNetworks.Run(calibrated, inputs, 2);
        var b = TestNetworks.Run(fromTable, inputs, 2);
        TestNetworks.Near(a, b, "calibrator vs table", 0f, 0.02f);
    }

    [Fact]
    public void Per_layer_override_keeps_a_layer_in_fp32()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 1);
        TestNetworks.SetRanges(net, inputs, 1);
        var config = new BuilderConfig { Int8 = true };
        config.LayerPrecisions["conv2"] = LayerPrecision.Float;
        using var engine = EngineBuilder.Build(net, config, TestDevices.Cpu);
        Assert.Contains(engine.Layers, l => !l.Int8 && l.Layers.Contains("conv2"));
        Assert.Contains(engine.Layers, l => l.Type == LayerType.Convert);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 1), TestNetworks.Run(engine, inputs, 1), "override");
    }

    [Fact]
    public void Int8_override_without_a_range_names_the_layer_and_tensor()
    {
        var net = TestNetworks.SmallCnn();
        net.FindLayer("conv2")!.Precision = LayerPrecision.Int8;
        var ex = Assert.Throws<NetworkException>(() => TestNetworks.Build(net, 1, int8: true));
        Assert.Equal("conv2", ex.LayerName);
        Assert.Contains("dynamic range", ex.Message, StringComparison.Ordinal);
    }
}
