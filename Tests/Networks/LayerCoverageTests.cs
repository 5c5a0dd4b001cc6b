using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>Every layer type in one network: FP32 against the layer-by-layer reference, INT8 against the reference pipeline.</summary>
public sealed class LayerCoverageTests
{
    internal static NetworkDefinition Wide()
    {
        var net = new NetworkDefinition("wide");
        var x = net.AddInput("x", new TensorDims(4, 6, 6));
        var skip = net.AddInput("skip", new TensorDims(4, 6, 6));
        var conv = net.AddConvolution(x, 8, 3, TestNetworks.Weights(8 * 2 * 9, 18, 1), TestData.Float(8, 2, 0.1f), padding: 2, dilation: 2, groups: 2, name: "conv_g");
        var leaky = net.AddActivation(conv.Output, ActivationKind.LeakyRelu, 0.1f, name: "leaky");
        var pool = net.AddPooling(leaky.Output, PoolingType.Average, 3, stride: 2, padding: 1, countPadding: true, ceilMode: true, name: "avg_ceil");
        var bn = net.AddBatchNormalization(pool.Output, TestData.Float(8, 3, 0.1f), Enumerable.Repeat(1.2f, 8).ToArray(), Enumerable.Repeat(0.9f, 8).ToArray(), TestData.Float(8, 4, 0.1f), name: "bn_after_pool");
        var deconv = net.AddDeconvolution(bn.Output, 4, 3, TestNetworks.Weights(8 * 4 * 9, 72, 5), TestData.Float(4, 6, 0.1f), stride: 2, padding: 2, outputPadding: 1, name: "deconv");
        var tanh = net.AddActivation(deconv.Output, ActivationKind.Tanh, name: "tanh");
        var prod = net.AddElementWise(tanh.Output, skip, ElementWiseOperation.Product, "prod");
        var max = net.AddElementWise(prod.Output, x, ElementWiseOperation.Max, "max");
        var constant = net.AddConstant(new TensorDims(4, 6, 6), TestData.Float(144, 7, 0.5f), "bias_map");
        var plus = net.AddElementWise(constant.Output, max.Output, ElementWiseOperation.Sum, "plus_const");
        var sig = net.AddActivation(plus.Output, ActivationKind.Sigmoid, name: "sigmoid");
        var padded = net.AddPadding(sig.Output, (1, 0), (0, 1), 0.25f, "pad");
        var cat = net.AddConcatenation([padded.Output, net.AddPadding(x, (1, 0), (0, 1), name: "pad_x").Output], "cat");
        var clip = net.AddActivation(cat.Output, ActivationKind.Clip, 0f, 0.6f, name: "relu6ish");
        var lrn = net.AddLrn(clip.Output, 3, 0.1f, 0.75f, 1f, "lrn");
        var scale = net.AddScale(lrn.Output, ScaleMode.Channel, TestData.Float(8, 8, 0.5f).Select(v => v + 1f).ToArray(), Enumerable.Repeat(1f, 8).ToArray(), Enumerable.Repeat(2f, 8).ToArray(), "scale_pow");
        var gmax = net.AddPooling(scale.Output, PoolingType.Max, 2, stride: 1, name: "max_pool");
        var reshape = net.AddReshape(gmax.Output, new TensorDims(12, 6, 4), "reshape");
        var relu = net.AddActivation(reshape.Output, ActivationKind.Relu, name: "relu");
        var flat = net.AddFlatten(relu.Output, "flatten");
        var fc = net.AddFullyConnected(flat.Output, 7, TestNetworks.Weights(7 * 288, 288, 9), TestData.Float(7, 10, 0.1f), "fc");
        var soft = net.AddSoftMax(fc.Output, "prob");
        var gap = net.AddGlobalPooling(relu.Output, PoolingType.Average, "gap");
        net.MarkOutput(soft.Output);
        net.MarkOutput(gap.Output);
        return net;
    }

    [Fact]
    public void Fp32_engine_matches_layer_by_layer_reference()
    {
        var net = Wide();
        var inputs = TestNetworks.Inputs(net, 2);
        using var engine = TestNetworks.Build(net, 2, int8: false);
        TestNetworks.Near(NetworkReference.Run(net, inputs, 2), TestNetworks.Run(engine, inputs, 2), "wide fp32", 2e-4f, 2e-5f);
    }

    [Fact]
    public void Int8_engine_equals_reference_pipeline_and_fusion_changes_no_bit()
    {
        var net = Wide();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        using var unfused = TestNetworks.Build(net, 2, int8: true, fusion: false);
        var int8Types = engine.Layers.Where(l => l.Int8).Select(l => l.Type).ToHashSet();
        foreach (var type in new[] { LayerType.Convolution, LayerType.Deconvolution, LayerType.Pooling, LayerType.ElementWise, LayerType.Activation, LayerType.Concatenation, LayerType.Padding, LayerType.Reshape, LayerType.FullyConnected, LayerType.SoftMax })
        {
            Assert.Contains(type, int8Types);
        }

        Assert.Contains(engine.Layers, l => !l.Int8 && l.Type == LayerType.Lrn);
        var actual = TestNetworks.Run(engine, inputs, 2);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 2), actual, "wide int8 vs reference pipeline");
        TestNetworks.SameBits(TestNetworks.Run(unfused, inputs, 2), actual, "wide int8 fusion on vs off");
    }
}
