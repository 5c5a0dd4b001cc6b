using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// A tensor read only by an INT8 max pooling takes the pool output's threshold (clipping commutes with max, and the pooled
/// tensor is what the next layer reads); with two readers, or a pool kept in FP32, it keeps its own.
/// </summary>
public sealed class PooledThresholdTests
{
    [Fact]
    public void Relu_read_only_by_a_max_pool_takes_the_pool_outputs_threshold()
    {
        var (net, inputs, relu, pool) = SmallCnnWithLowReluRange();
        using var engine = TestNetworks.Build(net, 2, int8: true);
        Assert.Equal(pool.DynamicRange!.Value, engine.Int8Thresholds[relu.Name]);
        Assert.Equal(pool.DynamicRange!.Value, engine.Int8Thresholds[pool.Name]);

        // Still the reference pipeline bit for bit (which reads the plan's thresholds).
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 2), TestNetworks.Run(engine, inputs, 2), "pooled threshold");
    }

    [Fact]
    public void A_pool_kept_in_fp32_leaves_the_relu_threshold_alone()
    {
        var (net, _, relu, _) = SmallCnnWithLowReluRange();
        var config = new BuilderConfig { MaxBatchSize = 2, Int8 = true };
        config.LayerPrecisions["pool1"] = LayerPrecision.Float;
        using var engine = EngineBuilder.Build(net, config, TestDevices.Cpu);
        Assert.Equal(relu.DynamicRange!.Value, engine.Int8Thresholds[relu.Name]);
    }

    [Fact]
    public void A_relu_with_a_second_reader_keeps_its_own_threshold()
    {
        var (net, _, relu, _) = SmallCnnWithLowReluRange();
        var extra = net.AddActivation(relu, ActivationKind.Relu, name: "second_reader").Output;
        extra.SetDynamicRange(-relu.DynamicRange!.Value, relu.DynamicRange.Value);
        net.MarkOutput(extra);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        Assert.Equal(relu.DynamicRange!.Value, engine.Int8Thresholds[relu.Name]);
    }

    // Ranges from max |x|, then relu1's cut to a third: below the pool's, as entropy does on a spiky ReLU histogram.
    private static (NetworkDefinition Net, Dictionary<string, float[]> Inputs, Tensor Relu, Tensor Pool) SmallCnnWithLowReluRange()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        var relu = net.FindLayer("relu1")!.Output;
        var pool = net.FindLayer("pool1")!.Output;
        var low = relu.DynamicRange!.Value / 3f;
        relu.SetDynamicRange(-low, low);
        Assert.True(pool.DynamicRange!.Value > low);
        return (net, inputs, relu, pool);
    }
}
