using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Fault;

/// <summary>Engines too large for the machine, or sizes beyond 32-bit indexing, are refused before any allocation, with the numbers.</summary>
public sealed class ResourceTests
{
    [Fact]
    public void A_batch_beyond_32_bit_tensor_sizes_is_refused_with_the_numbers()
    {
        // The small CNN's input is 3·8·8 = 192 floats an item: batch 3 000 000 is 576 000 000 elements per tensor, its
        // first convolution's output 8·8·8 · 3e6 = 1.5e9, and a wider layer would pass 2³¹ − 1.
        var net = new NetworkDefinition("wide");
        var x = net.AddInput("x", new TensorDims(64, 32, 32));
        net.Sequential(x).Relu("relu").MarkOutput();
        var ex = Assert.Throws<EngineMemoryException>(() => EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 3_000_000 }));
        Assert.Contains("3,000,000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("elements", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_engine_larger_than_the_machine_is_refused_before_allocating()
    {
        // 40 ReLUs without memory reuse: 41 tensors of 1·1024·1024 floats at batch 2047 (just under 2³¹ elements each),
        // about 350 GB in all.
        var net = new NetworkDefinition("huge");
        var s = net.Sequential(net.AddInput("x", new TensorDims(1, 1024, 1024)));
        for (var i = 0; i < 40; i++)
        {
            s = s.Relu($"relu{i}");
        }

        s.MarkOutput();
        var ex = Assert.Throws<EngineMemoryException>(() => EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2047, MemoryReuse = false }));
        Assert.True(ex.RequiredBytes > ex.AvailableBytes, ex.Message);
        Assert.Contains("MiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_memory_computed_up_front_counts_the_step_scratch()
    {
        // SmallCnn's convolutions are stems on the ILGPU backends (C < 16, 3×3): conv1 im2col into [N·8·8, 32] int8
        // (R·S·C = 27 → 32), conv2 into [N·4·4, 96] (72 → 96), at batch 2; the fc step runs the softmax after it and keeps
        // one counter a group of 8 rows (FullyConnectedSoftMax.Counters). The CPU backend needs no scratch.
        var net = TestNetworks.SmallCnn();
        TestNetworks.SetRanges(net, TestNetworks.Inputs(net, 2), 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        var scratch = EngineResources.Scratch(engine.Plan, host: false);
        Assert.Equal((2L * 8 * 8 * 32) + (2L * 4 * 4 * 96) + (FullyConnectedSoftMax.Counters(2) * sizeof(int)), scratch);
        Assert.Equal(engine.Memory.ScratchBytes, scratch);
        Assert.Equal(0, EngineResources.Scratch(engine.Plan, host: true));
        Assert.Equal(EngineResources.Required(engine.Plan, host: true).Context + scratch, EngineResources.Required(engine.Plan).Context);
    }

    [Fact]
    public void An_engine_whose_scratch_does_not_fit_is_refused_before_allocating()
    {
        // One 7×7 stem convolution of a 1-channel 1024×1024 image into 1 channel: activations about 10 bytes a pixel
        // (float input and output, int8 copies), but the im2col matrix 64 bytes a pixel (Kp = 49 rounded up to 64). At a
        // batch whose scratch alone passes the machine's memory, the rest still fits: only counting the scratch refuses it.
        var device = TestDevices.Cpu;
        var available = EngineResources.Available(device);
        const long pixels = 1024 * 1024;
        var batch = (int)Math.Min(int.MaxValue, (available / (64 * pixels)) + 1);
        Assert.SkipWhen(batch * pixels > EngineResources.MaxElements, "this machine has more memory than one tensor can index");
        var net = new NetworkDefinition("stem");
        var x = net.AddInput("x", new TensorDims(1, 1024, 1024));
        var conv = net.Sequential(x).Convolution(1, 7, TestNetworks.Weights(49, 49, 5), null, padding: 3, name: "conv");
        conv.MarkOutput();
        var config = new BuilderConfig { MaxBatchSize = batch, Int8 = true, CalibrationTable = new Dictionary<string, float> { ["x"] = 1f, [conv.Output.Name] = 2f } };
        var ex = Assert.Throws<EngineMemoryException>(() => EngineBuilder.Build(net, config, device));
        Assert.Contains("scratch", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.RequiredBytes > available, ex.Message);
        Assert.True(ex.RequiredBytes - (64 * pixels * batch) < available, $"{ex.Message}: the engine would fit without its scratch");
    }

    [Fact]
    public void Engine_memory_fits_its_own_report()
    {
        var net = TestNetworks.SmallCnn();
        using var engine = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 4 }, TestDevices.Cpu);
        var (weights, context) = EngineResources.Required(engine.Plan);
        Assert.True(context >= engine.Memory.ArenaBytes);
        Assert.True(weights > 0);
    }
}
