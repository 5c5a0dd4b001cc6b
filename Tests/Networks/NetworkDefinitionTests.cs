using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

public sealed class NetworkDefinitionTests
{
    [Fact]
    public void Shapes_are_inferred_when_layers_are_added()
    {
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(3, 32, 30));
        var conv = net.AddConvolution(x, 16, (5, 3), new float[16 * 3 * 15], stride: 2, padding: (2, 1), name: "c");
        Assert.Equal(new TensorDims(16, 16, 15), conv.Output.Dims);
        var dil = net.AddConvolution(conv.Output, 8, 3, new float[8 * 4 * 9], dilation: 2, groups: 4);
        Assert.Equal(new TensorDims(8, 12, 11), dil.Output.Dims);
        var pool = net.AddPooling(dil.Output, PoolingType.Max, 2, ceilMode: true);
        Assert.Equal(new TensorDims(8, 6, 6), pool.Output.Dims);
        var deconv = net.AddDeconvolution(pool.Output, 4, 3, new float[8 * 4 * 9], stride: 2, padding: 1, outputPadding: 1);
        Assert.Equal(new TensorDims(4, 12, 12), deconv.Output.Dims);
        var pad = net.AddPadding(deconv.Output, (1, 2), (3, 4));
        Assert.Equal(new TensorDims(4, 16, 18), pad.Output.Dims);
        var cat = net.AddConcatenation([pad.Output, pad.Output]);
        Assert.Equal(new TensorDims(8, 16, 18), cat.Output.Dims);
        var flat = net.AddFlatten(cat.Output);
        Assert.Equal(TensorDims.Vector(8 * 16 * 18), flat.Output.Dims);
        var reshaped = net.AddReshape(flat.Output, new TensorDims(16, 18, 8));
        Assert.Equal(LayerType.Reshape, reshaped.Type);
        var g = net.AddGlobalPooling(reshaped.Output, PoolingType.Average);
        Assert.Equal(new TensorDims(16, 1, 1), g.Output.Dims);
        var fc = net.AddFullyConnected(g.Output, 5, new float[5 * 16]);
        Assert.Equal(TensorDims.Vector(5), fc.Output.Dims);
        net.MarkOutput(fc.Output);
        Assert.Equal(net.Layers.Count, net.Validate().Count);
    }

    [Fact]
    public void Bad_parameters_are_errors_that_name_the_layer()
    {
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(6, 8, 8));
        var ex = Assert.Throws<NetworkException>(() => net.AddConvolution(x, 4, 3, new float[4 * 6 * 9], groups: 4, name: "grouped"));
        Assert.Equal("grouped", ex.LayerName);
        Assert.Contains("groups", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<NetworkException>(() => net.AddConvolution(x, 4, 3, new float[10], name: "short"));
        Assert.Contains("weights", ex.Message, StringComparison.Ordinal);
        Assert.Contains("216", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<NetworkException>(() => net.AddConvolution(x, 4, 11, new float[4 * 6 * 121], name: "big"));
        Assert.Contains("does not fit", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<NetworkException>(() => net.AddPooling(x, PoolingType.Max, 2, padding: 2, name: "pool"));
        Assert.Equal("pool", ex.LayerName);

        ex = Assert.Throws<NetworkException>(() => net.AddActivation(x, ActivationKind.Clip, 6f, 0f, name: "clip"));
        Assert.Contains("Clip", ex.Message, StringComparison.Ordinal);

        var y = net.AddInput("y", new TensorDims(6, 8, 7));
        ex = Assert.Throws<NetworkException>(() => net.AddElementWise(x, y, ElementWiseOperation.Sum, "sum"));
        Assert.Equal("sum", ex.LayerName);
        Assert.Contains("(6, 8, 7)", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<NetworkException>(() => net.AddReshape(x, new TensorDims(5, 5, 5), "reshape"));
        Assert.Contains("384", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<NetworkException>(() => net.AddBatchNormalization(x, new float[6], new float[6], new float[6], new float[5], name: "bn"));
        Assert.Contains("beta", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<NetworkException>(() => net.AddScale(x, ScaleMode.Channel, [1f, float.NaN, 1f, 1f, 1f, 1f], name: "scale"));
        Assert.Contains("not finite", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cycle_is_an_error_that_names_a_layer_on_it()
    {
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(2, 4, 4));
        var a = net.AddActivation(x, ActivationKind.Relu, name: "a");
        var b = net.AddActivation(a.Output, ActivationKind.Tanh, name: "b");
        net.MarkOutput(b.Output);
        a.SetInput(0, b.Output);
        var ex = Assert.Throws<NetworkException>(() => net.Validate());
        Assert.Contains("cycle", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ex.LayerName, new[] { "a", "b" });
    }

    [Fact]
    public void A_dangling_input_is_an_error_that_names_the_layer()
    {
        var other = new NetworkDefinition("other");
        var foreign = other.AddInput("foreign", new TensorDims(2, 4, 4));
        var net = new NetworkDefinition("net");
        var x = net.AddInput("x", new TensorDims(2, 4, 4));
        var a = net.AddActivation(x, ActivationKind.Relu, name: "a");
        net.MarkOutput(a.Output);
        Assert.Throws<NetworkException>(() => net.AddActivation(foreign, ActivationKind.Relu));

        a.SetInput(0, foreign);
        var ex = Assert.Throws<NetworkException>(() => net.Validate());
        Assert.Equal("a", ex.LayerName);
        Assert.Contains("dangling", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shape_mismatch_after_set_input_names_the_layer()
    {
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(3, 4, 4));
        var y = net.AddInput("y", new TensorDims(5, 4, 4));
        var conv = net.AddConvolution(x, 2, 1, new float[6], name: "conv");
        var sum = net.AddElementWise(conv.Output, conv.Output, ElementWiseOperation.Sum, "sum");
        net.MarkOutput(sum.Output);
        net.MarkOutput(y);
        conv.SetInput(0, y);
        var ex = Assert.Throws<NetworkException>(() => net.Validate());
        Assert.Equal("conv", ex.LayerName);
    }

    [Fact]
    public void Names_are_unique_and_outputs_required()
    {
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(1, 2, 2));
        Assert.Throws<NetworkException>(() => net.AddInput("x", new TensorDims(1, 2, 2)));
        var a = net.AddActivation(x, ActivationKind.Relu, name: "a");
        Assert.Throws<NetworkException>(() => net.AddActivation(x, ActivationKind.Relu, name: "a"));
        Assert.Throws<NetworkException>(() => a.Output.Name = "x");
        a.Output.Name = "renamed";
        Assert.Same(a.Output, net.FindTensor("renamed"));
        Assert.Throws<NetworkException>(() => net.Validate());
        net.MarkOutput(a.Output);
        Assert.Single(net.Validate());
        var unused = net.AddInput("unused", new TensorDims(1, 1, 1));
        Assert.Contains("unused", Assert.Throws<NetworkException>(() => net.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dynamic_range_rejects_empty_or_nan_ranges()
    {
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(1, 2, 2));
        Assert.Throws<ArgumentException>(() => x.SetDynamicRange(0f, 0f));
        Assert.Throws<ArgumentException>(() => x.SetDynamicRange(float.NaN, 1f));
        Assert.Throws<ArgumentException>(() => x.SetDynamicRange(2f, 1f));
        x.SetDynamicRange(-3f, 2f);
        Assert.Equal(3f, x.DynamicRange);
    }

    [Fact]
    public void Weights_are_copied_when_added()
    {
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(1, 2, 2));
        var w = new float[] { 1f };
        var conv = net.AddConvolution(x, 1, 1, w);
        w[0] = 5f;
        Assert.Equal(1f, conv.Weights.Span[0]);
    }
}
