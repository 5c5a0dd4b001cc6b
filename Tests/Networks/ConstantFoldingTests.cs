using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// Build-time constant folding goes through each layer's own <c>Layer.EvaluateConstant</c> (never the test oracle): a
/// chain of constant layers of every foldable type gives the FP32 engine the layer-by-layer reference's values, and a
/// layer type that cannot fold refuses the build with an error naming it.
/// </summary>
public sealed class ConstantFoldingTests
{
    [Fact]
    public void Folded_constant_chain_matches_the_layer_by_layer_reference()
    {
        var net = new NetworkDefinition("fold");
        var x = net.AddInput("x", new TensorDims(8, 3, 3));
        var c1 = net.AddConstant(new TensorDims(4, 3, 3), TestData.Float(36, 11, 2f), "c1");
        var c2 = net.AddConstant(new TensorDims(4, 2, 2), TestData.Float(16, 12, 2f), "c2");
        var tanh = net.AddActivation(c1.Output, ActivationKind.Tanh, name: "c1_tanh");
        var pad = net.AddPadding(c2.Output, (1, 0), (0, 1), 0.25f, "c2_pad");
        var cat = net.AddConcatenation([tanh.Output, pad.Output], "c_cat");
        var hs = net.AddHardSigmoid(cat.Output, 0.3f, 0.4f, "c_hardsigmoid");
        var scale = net.AddScale(hs.Output, ScaleMode.Channel, TestData.Float(8, 13, 1f), TestData.Float(8, 14, 0.5f), null, "c_scale");
        var bn = net.AddBatchNormalization(scale.Output, TestData.Float(8, 15, 0.1f), Enumerable.Repeat(1.2f, 8).ToArray(), Enumerable.Repeat(0.9f, 8).ToArray(), TestData.Float(8, 16, 0.1f), name: "c_bn");
        var flat = net.AddReshape(bn.Output, new TensorDims(72, 1, 1), "c_flat");
        var back = net.AddReshape(flat.Output, new TensorDims(8, 3, 3), "c_back");
        var c3 = net.AddConstant(new TensorDims(8, 3, 3), TestData.Float(72, 17, 1f), "c3");
        var prod = net.AddElementWise(back.Output, c3.Output, ElementWiseOperation.Product, "c_prod");
        var sum = net.AddElementWise(x, prod.Output, ElementWiseOperation.Sum, "y");
        net.MarkOutput(sum.Output);
        var inputs = TestNetworks.Inputs(net, 2);
        using var engine = TestNetworks.Build(net, 2, int8: false);
        Assert.DoesNotContain(engine.Layers, l => l.Name.StartsWith("c_", StringComparison.Ordinal));
        TestNetworks.Near(NetworkReference.Run(net, inputs, 2), TestNetworks.Run(engine, inputs, 2), "folded constants", 1e-5f, 1e-6f);
    }

    [Fact]
    public void A_layer_type_that_cannot_fold_refuses_the_build_by_name()
    {
        var net = new NetworkDefinition("nofold");
        var x = net.AddInput("x", new TensorDims(2, 3, 3));
        var c = net.AddConstant(new TensorDims(2, 3, 3), TestData.Float(18, 21, 1f), "c");
        var conv = net.AddConvolution(c.Output, 2, 1, TestData.Float(4, 22, 1f), name: "const_conv");
        net.MarkOutput(net.AddElementWise(x, conv.Output, ElementWiseOperation.Sum, "y").Output);
        var e = Assert.Throws<NetworkException>(() => TestNetworks.Build(net, 1, int8: false).Dispose());
        Assert.Contains("const_conv", e.Message, StringComparison.Ordinal);
        Assert.Contains("constant folding", e.Message, StringComparison.Ordinal);
    }
}
