using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// The layer forms ONNX needs beyond the channel axis and symmetric pads: softmax along H and W, concatenation along H
/// and W, pooling with separate begin/end pads (average counting them or not, max with ceil), a transposed convolution
/// cropping more at the end (negative output padding). Both backends: FP32 within float tolerance of the layer-by-layer
/// reference, INT8 bit-exact with the reference pipeline (softmax off the channel axis runs FP32).
/// </summary>
public sealed class AxisFormsTests
{
    internal static NetworkDefinition Forms()
    {
        var net = new NetworkDefinition("axis_forms");
        var x = net.AddInput("x", new TensorDims(4, 5, 6));
        var extra = net.AddInput("extra", new TensorDims(4, 3, 6));
        var softW = net.AddSoftMax(x, ItemAxis.Width, "soft_w");
        var catH = net.AddConcatenation([x, extra], ItemAxis.Height, "cat_h");
        var relu = net.AddActivation(catH.Output, ActivationKind.Relu, name: "relu");
        var side = net.AddConvolution(relu.Output, 4, 1, TestNetworks.Weights(16, 4, 3), TestData.Float(4, 4, 0.1f), name: "side");
        var side2 = net.AddPooling(side.Output, PoolingType.Max, (2, 3), stride: 1, padding: 1, name: "side_pool"); // (4, 9, 6)
        var catW = net.AddConcatenation([net.AddPooling(relu.Output, PoolingType.Average, (4, 3), stride: (1, 1), padding: (2, 1), countPadding: true, name: "avg_sym").Output, side2.Output], ItemAxis.Width, "cat_w");
        var upper = net.AddPooling(catW.Output, PoolingType.Average, 2, 1, (0, 0), (1, 1), countPadding: true, ceilMode: false, "avg_same_upper");
        var lower = net.AddPooling(upper.Output, PoolingType.Average, 3, 2, (1, 2), (0, 2), countPadding: false, ceilMode: true, "avg_pads_exclude");
        var maxAsym = net.AddPooling(lower.Output, PoolingType.Max, 2, 2, (1, 0), (0, 1), countPadding: false, ceilMode: true, "max_asym");
        var deconv = net.AddDeconvolution(maxAsym.Output, 3, 3, TestNetworks.Weights(4 * 3 * 9, 36, 5), TestData.Float(3, 6, 0.1f), stride: 2, padding: 0, outputPadding: -1, name: "deconv_crop_end");
        var softH = net.AddSoftMax(deconv.Output, ItemAxis.Height, "soft_h");
        net.MarkOutput(softW.Output);
        net.MarkOutput(softH.Output);
        net.MarkOutput(maxAsym.Output);
        net.MarkOutput(deconv.Output);
        return net;
    }

    [Fact]
    public void Shapes_follow_the_axes_and_pads()
    {
        var net = Forms();
        Assert.Equal(new TensorDims(4, 8, 6), net.FindTensor("cat_h")!.Dims);
        Assert.Equal(new TensorDims(4, 9, 12), net.FindTensor("cat_w")!.Dims);           // avg_sym: (8 + 4 − 4) + 1 = 9 rows
        Assert.Equal(new TensorDims(4, 9, 12), net.FindTensor("avg_same_upper")!.Dims);  // SAME_UPPER keeps the size
        Assert.Equal(new TensorDims(4, 5, 7), net.FindTensor("avg_pads_exclude")!.Dims); // ⌈(9 + 1 − 3) / 2⌉ + 1, ⌈(12 + 4 − 3) / 2⌉ + 1 less one
        Assert.Equal(new TensorDims(4, 3, 4), net.FindTensor("max_asym")!.Dims);
        Assert.Equal(new TensorDims(3, 6, 8), net.FindTensor("deconv_crop_end")!.Dims);   // (3 − 1)·2 + 3 − 1, (4 − 1)·2 + 3 − 1
        var bad = new NetworkDefinition("bad");
        var a = bad.AddInput("a", new TensorDims(2, 3, 4));
        var b = bad.AddInput("b", new TensorDims(3, 3, 4));
        Assert.Contains("Width", Assert.Throws<NetworkException>(() => bad.AddConcatenation([a, b], ItemAxis.Width)).Message, StringComparison.Ordinal);
        Assert.Equal(new TensorDims(5, 3, 4), bad.AddConcatenation([a, b]).Output.Dims);
    }

    [Fact]
    public void Fp32_engines_on_both_backends_match_the_layer_by_layer_reference()
    {
        var net = Forms();
        var inputs = TestNetworks.Inputs(net, 2);
        var expected = NetworkReference.Run(net, inputs, 2);
        using var ilgpu = TestNetworks.Build(net, 2, int8: false);
        TestNetworks.Near(expected, TestNetworks.Run(ilgpu, inputs, 2), "axis forms fp32 ilgpu-cpu", 2e-4f, 2e-6f);
        using var cpu = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2 });
        TestNetworks.Near(expected, TestNetworks.Run(cpu, inputs, 2), "axis forms fp32 cpu backend", 2e-4f, 2e-6f);
    }

    [Fact]
    public void Int8_engines_on_both_backends_equal_the_reference_pipeline_and_survive_serialization()
    {
        var net = Forms();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var ilgpu = TestNetworks.Build(net, 2, int8: true);
        foreach (var name in new[] { "cat_h", "cat_w", "avg_same_upper", "avg_pads_exclude", "max_asym", "deconv_crop_end" })
        {
            Assert.True(ilgpu.Layers.Single(l => l.Name == name).Int8, $"{name} should run INT8");
        }

        Assert.All(ilgpu.Layers.Where(l => l.Type == LayerType.SoftMax), l => Assert.False(l.Int8));
        var actual = TestNetworks.Run(ilgpu, inputs, 2);
        Int8Equal(PlanReference.Outputs(ilgpu.Plan, inputs, 2), actual, "axis forms int8 ilgpu-cpu vs reference pipeline");

        using var cpu = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, CpuIsa = CpuIsa.Scalar });
        Int8Equal(actual, TestNetworks.Run(cpu, inputs, 2), "axis forms int8 cpu backend vs ilgpu-cpu");

        using var stream = new MemoryStream();
        ilgpu.Serialize(stream);
        stream.Position = 0;
        using var loaded = Engine.Deserialize(stream, TestDevices.Cpu);
        Assert.Equal(ItemAxis.Height, ((ConcatenationLayer)loaded.Plan.Nodes.Single(n => n.Name == "cat_h").Layer).Axis);
        Assert.Equal(new Size2(0, 2), ((PoolingLayer)loaded.Plan.Nodes.Single(n => n.Name == "avg_pads_exclude").Layer).PaddingEnd);
        TestNetworks.SameBits(actual, TestNetworks.Run(loaded, inputs, 2), "axis forms int8 deserialized");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Cuda_engines_match_the_references()
    {
        var device = TestDevices.Cuda;
        var net = Forms();
        var inputs = TestNetworks.Inputs(net, 2);
        using (var fp32 = TestNetworks.Build(net, 2, int8: false, device: device))
        {
            TestNetworks.Near(NetworkReference.Run(net, inputs, 2), TestNetworks.Run(fp32, inputs, 2), "axis forms fp32 cuda", 1e-3f, 1e-5f);
        }

        TestNetworks.SetRanges(net, inputs, 2);
        using var int8 = TestNetworks.Build(net, 2, int8: true, device: device);
        Int8Equal(PlanReference.Outputs(int8.Plan, inputs, 2), TestNetworks.Run(int8, inputs, 2), "axis forms int8 cuda vs reference pipeline");
    }

    // The INT8 outputs bit for bit; the softmax outputs (FP32 steps on the same int8-derived inputs: float exp on the
    // device, double in the references) within float tolerance.
    private static void Int8Equal(IReadOnlyDictionary<string, float[]> expected, IReadOnlyDictionary<string, float[]> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            if (name.StartsWith("soft_", StringComparison.Ordinal))
            {
                Close.Equal(e, actual[name], $"{what}: output '{name}'", 1e-4f, 1e-6f);
            }
            else
            {
                Exact.EqualBits(e, actual[name], $"{what}: output '{name}'");
            }
        }
    }
}
