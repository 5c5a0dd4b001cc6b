using ILGPUInt8.Layers;
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
    public void Engine_memory_fits_its_own_report()
    {
        var net = TestNetworks.SmallCnn();
        using var engine = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 4 }, TestDevices.Cpu);
        var (weights, context) = EngineResources.Required(engine.Plan);
        Assert.True(context >= engine.Memory.ArenaBytes);
        Assert.True(weights > 0);
    }
}
