using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// The INT8 residual sum fused into the convolution before it (issue 14): the same bits as the unfused plan and the
/// reference pipeline on the ILGPU kernels (CPU accelerator, and the GPU) and the CPU backend; every ResNet add fused
/// (including a skip operand that a downsample computes after the convolution); shown in the layer info; kept by an
/// engine file; not fused where it must not be.
/// </summary>
public sealed class ResidualFusionTests
{
    [Fact]
    public void Resnet_adds_fuse_into_their_convolutions_with_the_unfused_bits_on_the_cpu_accelerator() =>
        CheckResnet(TestDevices.Cpu, "cpu accelerator");

    [Fact]
    [Trait("Category", "Gpu")]
    public void Resnet_adds_fuse_into_their_convolutions_with_the_unfused_bits_on_the_gpu() =>
        CheckResnet(TestDevices.Cuda, "cuda");

    [Fact]
    public void Resnet_adds_fuse_on_the_cpu_backend_with_the_unfused_bits()
    {
        var (net, inputs) = Resnet();
        using var fused = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, FuseResidualSums = true });
        using var unfused = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, Fusion = false });
        Assert.Equal(8, fused.Layers.Count(l => l.FusedResidualSum));
        var actual = TestNetworks.Run(fused, inputs, 2);
        TestNetworks.SameBits(TestNetworks.Run(unfused, inputs, 2), actual, "cpu backend fused vs unfused");
        TestNetworks.SameBits(PlanReference.Outputs(fused.Plan, inputs, 2), actual, "cpu backend fused vs reference pipeline");
    }

    [Fact]
    public void Odd_channel_counts_and_a_sum_without_relu_fuse_with_the_same_bits_on_both_backends()
    {
        // data (5, 7, 7) → conv 3×3 (6) + ReLU = a; conv 3×3 (6) of a = b; sum(a, b) without ReLU (the convolution is the
        // second operand, K = 6 is not a multiple of 4: the one-lane epilogue path) → conv 1×1 (3) → output.
        var net = new NetworkDefinition("odd_residual");
        var x = net.AddInput("data", new TensorDims(5, 7, 7));
        var a = net.AddConvolution(x, 6, new(3, 3), TestNetworks.Weights(6 * 5 * 9, 45, 11), TestData.Float(6, 12, 0.2f), padding: new(1, 1), name: "conv_a").Output;
        a = net.AddActivation(a, ActivationKind.Relu, name: "relu_a").Output;
        var b = net.AddConvolution(a, 6, new(3, 3), TestNetworks.Weights(6 * 6 * 9, 54, 13), null, padding: new(1, 1), name: "conv_b").Output;
        var sum = net.AddElementWise(a, b, ElementWiseOperation.Sum, "sum").Output;
        var y = net.AddConvolution(sum, 3, new(1, 1), TestNetworks.Weights(3 * 6, 6, 14), null, name: "head").Output;
        net.MarkOutput(y);
        var inputs = TestNetworks.Inputs(net, 3);
        TestNetworks.SetRanges(net, inputs, 3);
        foreach (var (fused, unfused, what) in new[]
        {
            (Build(net, 3, TestDevices.Cpu), TestNetworks.Build(net, 3, int8: true), "cpu accelerator"),
            (EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true, FuseResidualSums = true }), EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true, Fusion = false }), "cpu backend"),
        })
        {
            using (fused)
            using (unfused)
            {
                var step = Assert.Single(fused.Layers, l => l.FusedResidualSum);
                Assert.Equal("conv_b", step.Name);
                Assert.Equal("+Add", step.Fusions);
                Assert.Contains("sum", step.Layers);
                var actual = TestNetworks.Run(fused, inputs, 3);
                TestNetworks.SameBits(TestNetworks.Run(unfused, inputs, 3), actual, $"{what}: fused vs unfused");
                TestNetworks.SameBits(PlanReference.Outputs(fused.Plan, inputs, 3), actual, $"{what}: fused vs reference pipeline");
            }
        }
    }

    [Fact]
    public void A_convolution_output_read_twice_or_a_network_output_is_not_fused()
    {
        // b feeds the sum and is also a network output; c = conv of x is read by the sum and by another conv.
        var net = new NetworkDefinition("no_fusion");
        var x = net.AddInput("data", new TensorDims(4, 5, 5));
        var b = net.AddConvolution(x, 4, new(3, 3), TestNetworks.Weights(4 * 4 * 9, 36, 21), null, padding: new(1, 1), name: "conv_b").Output;
        var c = net.AddConvolution(x, 4, new(1, 1), TestNetworks.Weights(4 * 4, 4, 22), null, name: "conv_c").Output;
        var sum = net.AddElementWise(b, c, ElementWiseOperation.Sum, "sum").Output;
        var d = net.AddConvolution(c, 4, new(1, 1), TestNetworks.Weights(4 * 4, 4, 23), null, name: "conv_d").Output;
        net.MarkOutput(b);
        net.MarkOutput(sum);
        net.MarkOutput(d);
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = Build(net, 2, TestDevices.Cpu);
        Assert.DoesNotContain(engine.Layers, l => l.FusedResidualSum);
        Assert.Contains(engine.Layers, l => l.Int8 && l.Type == LayerType.ElementWise);
    }

    [Fact]
    public void An_engine_file_keeps_the_fused_sums_and_their_bits()
    {
        var (net, inputs) = Resnet();
        using var engine = Build(net, 2, TestDevices.Cpu);
        using var stream = new MemoryStream();
        engine.Serialize(stream);
        stream.Position = 0;
        using var loaded = Engine.Deserialize(stream, TestDevices.Cpu);
        Assert.Equal(engine.Layers.Select(l => (l.Name, l.FusedResidualSum, l.Fusions)), loaded.Layers.Select(l => (l.Name, l.FusedResidualSum, l.Fusions)));
        TestNetworks.SameBits(TestNetworks.Run(engine, inputs, 2), TestNetworks.Run(loaded, inputs, 2), "saved and loaded");
    }

    [Fact]
    public void A_version_2_engine_file_of_the_last_release_still_loads_with_its_bits()
    {
        // The network of Fixtures/residual_v2.md, built now: the old file is its unfused INT8 plan.
        static float[] W(int n, int seed) => [.. Enumerable.Range(0, n).Select(i => 0.3f * MathF.Sin(i + seed))];
        var net = new NetworkDefinition("v2_residual");
        var x = net.AddInput("data", new TensorDims(4, 6, 6));
        var a = net.AddConvolution(x, 4, new(3, 3), W(4 * 4 * 9, 1), W(4, 2), padding: new(1, 1), name: "conv_a").Output;
        a = net.AddActivation(a, ActivationKind.Relu, name: "relu_a").Output;
        var b = net.AddConvolution(a, 4, new(3, 3), W(4 * 4 * 9, 3), null, padding: new(1, 1), name: "conv_b").Output;
        var s = net.AddElementWise(b, x, ElementWiseOperation.Sum, "sum").Output;
        s = net.AddActivation(s, ActivationKind.Relu, name: "relu_sum").Output;
        net.MarkOutput(s);
        foreach (var t in new[] { "data", "conv_a", "relu_a", "conv_b", "sum", "relu_sum" })
        {
            net.FindTensor(t)!.SetDynamicRange(-2f, 2f);
        }

        var path = Path.Combine(Onnx.OnnxFixtures.RepositoryRoot, "Tests", "Networks", "Fixtures", "residual_v2.ilgpui8");
        using var old = Engine.LoadCpu(path);
        Assert.DoesNotContain(old.Layers, l => l.FusedResidualSum);
        using var fused = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, FuseResidualSums = true });
        Assert.Single(fused.Layers, l => l.FusedResidualSum);
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SameBits(TestNetworks.Run(fused, inputs, 2), TestNetworks.Run(old, inputs, 2), "version 2 file vs fused build of today");
    }

    [Fact]
    public void Residual_sums_stay_unfused_by_default_and_fuse_when_switched_on()
    {
        var (net, inputs) = Resnet();
        using var engine = TestNetworks.Build(net, 2, int8: true);
        Assert.DoesNotContain(engine.Layers, l => l.FusedResidualSum);
        Assert.Equal(8, engine.Layers.Count(l => l.Type == LayerType.ElementWise));
        using var on = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, FuseResidualSums = true }, TestDevices.Cpu);
        Assert.Equal(8, on.Layers.Count(l => l.FusedResidualSum));
        Assert.DoesNotContain(on.Layers, l => l.Type == LayerType.ElementWise);

        // The profile names each step's fusions as Describe does.
        using var context = on.CreateExecutionContext();
        var profile = context.Profile(inputs, 2);
        Assert.Equal(on.Layers.Where(l => l.FusedResidualSum).Select(l => l.Name), profile.Layers.Where(l => l.Fusions.Contains("+Add", StringComparison.Ordinal)).Select(l => l.Name));
    }

    // An INT8 engine with residual sums fused on a device.
    private static Engine Build(NetworkDefinition net, int maxBatch, Int8Device device) =>
        EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = maxBatch, Int8 = true, FuseResidualSums = true }, device);

    private static (NetworkDefinition Net, Dictionary<string, float[]> Inputs) Resnet()
    {
        var net = SyntheticModels.ResNet18(32, 10);
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        return (net, inputs);
    }

    private static void CheckResnet(Int8Device device, string what)
    {
        var (net, inputs) = Resnet();
        using var fused = Build(net, 2, device);
        using var unfused = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, FuseResidualSums = false }, device);

        // Every basic block's add (with its ReLU) is now in the second convolution: no element-wise step is left.
        Assert.Equal(8, fused.Layers.Count(l => l.FusedResidualSum));
        Assert.DoesNotContain(fused.Layers, l => l.Type == LayerType.ElementWise);
        Assert.All(fused.Layers.Where(l => l.FusedResidualSum), l => Assert.Equal("+Add +Relu", l.Fusions));
        Assert.Equal(8, unfused.Layers.Count(l => l.Type == LayerType.ElementWise));

        var actual = TestNetworks.Run(fused, inputs, 2);
        TestNetworks.SameBits(TestNetworks.Run(unfused, inputs, 2), actual, $"{what}: fused vs unfused");
        TestNetworks.SameBits(PlanReference.Outputs(fused.Plan, inputs, 2), actual, $"{what}: fused vs reference pipeline");
    }
}
