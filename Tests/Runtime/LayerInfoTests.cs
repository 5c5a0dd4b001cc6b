using ILGPUInt8.Layers.Network;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Runtime;

/// <summary>What --layer-info shows of each step: shapes, the kernel chosen and the scratch bytes, on both CPU backends.</summary>
public sealed class LayerInfoTests
{
    [Fact]
    public void Every_step_names_its_shapes_kernel_and_scratch_on_the_ilgpu_backend()
    {
        var net = TestNetworks.SmallCnn();
        TestNetworks.SetRanges(net, TestNetworks.Inputs(net, 2), 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        Assert.All(engine.Layers, l => Assert.False(string.IsNullOrEmpty(l.KernelName), l.ToString()));
        Assert.All(engine.Layers, l => Assert.NotEmpty(l.InputDims));

        // conv1 (3 input channels, 3×3) is a stem: im2col into a scratch matrix [N·8·8, 32] (R·S·C = 27 rounded up to 32),
        // then a 1×1 INT8 convolution variant.
        var conv1 = engine.Layers.Single(l => l.Layers.Contains("conv1"));
        Assert.Equal(new TensorDims(3, 8, 8), Assert.Single(conv1.InputDims));
        Assert.Equal(new TensorDims(8, 8, 8), conv1.OutputDims);
        Assert.StartsWith("im2col_s8 + conv_s8", conv1.KernelName, StringComparison.Ordinal);
        Assert.Equal(2L * 8 * 8 * 32, conv1.ScratchBytes);
        Assert.Equal(engine.Memory.ScratchBytes, engine.Layers.Sum(l => l.ScratchBytes));
        Assert.Contains("im2col_s8", engine.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_cpu_backend_names_its_instruction_set_variant()
    {
        var net = TestNetworks.SmallCnn();
        TestNetworks.SetRanges(net, TestNetworks.Inputs(net, 2), 2);
        using var engine = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true });
        var conv2 = engine.Layers.Single(l => l.Layers.Contains("conv2"));
        Assert.Equal($"cpu_conv_s8_{engine.HostIsa!.Value.ToString().ToLowerInvariant()}", conv2.KernelName);
        Assert.Equal(0, conv2.ScratchBytes);
        Assert.All(engine.Layers, l => Assert.StartsWith("cpu_", l.KernelName, StringComparison.Ordinal));
    }
}
