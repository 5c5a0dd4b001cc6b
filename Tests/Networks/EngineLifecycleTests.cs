using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

public sealed class EngineLifecycleTests
{
    /// <summary>
    /// A branching network in which every tensor is live across others: x → conv a → relu; x → conv b; a + b (ReLU)
    /// → conv c; concat(c, a) → pool → fc. A plan that put two live tensors on the same bytes changes the outputs.
    /// </summary>
    private static NetworkDefinition Residual()
    {
        var net = new NetworkDefinition("residual");
        var x = net.AddInput("x", new TensorDims(4, 6, 6));
        var a = net.AddActivation(net.AddConvolution(x, 4, 3, TestNetworks.Weights(4 * 4 * 9, 36, 1), padding: 1, name: "a").Output, ActivationKind.Relu, name: "a_relu");
        var b = net.AddConvolution(x, 4, 1, TestNetworks.Weights(16, 4, 2), TestData.Float(4, 3, 0.1f), name: "b");
        var sum = net.AddElementWise(a.Output, b.Output, ElementWiseOperation.Sum, "sum");
        var relu = net.AddActivation(sum.Output, ActivationKind.Relu, name: "sum_relu");
        var c = net.AddConvolution(relu.Output, 4, 3, TestNetworks.Weights(4 * 4 * 9, 36, 4), padding: 1, name: "c");
        var cat = net.AddConcatenation([c.Output, a.Output], "cat");
        var pool = net.AddPooling(cat.Output, PoolingType.Average, 2, name: "pool");
        var fc = net.AddFullyConnected(pool.Output, 6, TestNetworks.Weights(6 * 8 * 9, 72, 5), name: "fc");
        net.MarkOutput(fc.Output);
        net.MarkOutput(c.Output);
        return net;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Memory_reuse_never_aliases_live_tensors(bool int8)
    {
        var net = Residual();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var shared = TestNetworks.Build(net, 2, int8, reuse: true);
        using var separate = TestNetworks.Build(net, 2, int8, reuse: false);
        Assert.True(shared.Memory.ArenaBytes < separate.Memory.ArenaBytes, $"no reuse: {shared.Memory}");
        Assert.Equal(separate.Memory.UnsharedBytes, separate.Memory.ArenaBytes);
        PlanMemory.Verify(shared.Plan);
        TestNetworks.SameBits(TestNetworks.Run(separate, inputs, 2), TestNetworks.Run(shared, inputs, 2), $"reuse vs none (int8={int8})");
        if (int8)
        {
            TestNetworks.SameBits(PlanReference.Outputs(shared.Plan, inputs, 2), TestNetworks.Run(shared, inputs, 2), "residual int8 vs reference");
        }
        else
        {
            TestNetworks.Near(NetworkReference.Run(net, inputs, 2), TestNetworks.Run(shared, inputs, 2), "residual fp32 vs reference");
        }
    }

    [Fact]
    public void A_plan_that_aliases_live_tensors_is_caught()
    {
        var net = Residual();
        using var engine = TestNetworks.Build(net, 1, int8: false);
        var plan = engine.Plan;
        var a = plan.Tensors.First(t => t.Name == "a_relu");
        var b = plan.Tensors.First(t => t.Name == "b");
        var saved = b.Offset;
        b.Offset = a.Offset;
        try
        {
            var ex = Assert.Throws<InvalidOperationException>(() => PlanMemory.Verify(plan));
            Assert.Contains("aliases live tensors", ex.Message, StringComparison.Ordinal);

            // And the outputs really change when the bytes are shared.
            var inputs = TestNetworks.Inputs(net, 1);
            var wrong = TestNetworks.Run(engine, inputs, 1);
            var right = NetworkReference.Run(net, inputs, 1);
            Assert.NotEqual(right["fc"][0], wrong["fc"][0], 4);
        }
        finally
        {
            b.Offset = saved;
        }
    }

    [Fact]
    public void Serialization_round_trip_gives_identical_outputs()
    {
        var net = Residual();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        using var stream = new MemoryStream();
        engine.Serialize(stream);
        stream.Position = 0;
        using var loaded = Engine.Deserialize(stream, TestDevices.Cpu);
        Assert.Equal(engine.Layers.Select(l => l.ToString()), loaded.Layers.Select(l => l.ToString()));
        Assert.Equal(engine.Memory, loaded.Memory);
        TestNetworks.SameBits(TestNetworks.Run(engine, inputs, 2), TestNetworks.Run(loaded, inputs, 2), "deserialized");

        var path = Path.Combine(Path.GetTempPath(), $"engine-{Guid.NewGuid():N}.ilgpui8");
        try
        {
            engine.Save(path);
            using var fromFile = Engine.Load(path, TestDevices.Cpu);
            TestNetworks.SameBits(TestNetworks.Run(engine, inputs, 2), TestNetworks.Run(fromFile, inputs, 2), "from file");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Wrong_or_corrupt_engine_files_are_rejected_with_a_message()
    {
        using var engine = TestNetworks.Build(TestNetworks.SmallCnn(), 1, int8: false);
        using var stream = new MemoryStream();
        engine.Serialize(stream);
        var bytes = stream.ToArray();

        InvalidDataException Load(byte[] data) =>
            Assert.Throws<InvalidDataException>(() => Engine.Deserialize(new MemoryStream(data), TestDevices.Cpu));

        Assert.Contains("magic", Load([.. "NOTANENGINE"u8.ToArray(), .. bytes]).Message, StringComparison.Ordinal);
        var version = (byte[])bytes.Clone();
        version[8] = 99;
        Assert.Contains("version 99", Load(version).Message, StringComparison.Ordinal);
        Assert.Contains("ends inside", Load(bytes[..(bytes.Length / 2)]).Message, StringComparison.Ordinal);
        Assert.Contains("ends inside", Load(bytes[..10]).Message, StringComparison.Ordinal);
        foreach (var position in new[] { 60, bytes.Length / 3, bytes.Length - 1 })
        {
            var flipped = (byte[])bytes.Clone();
            flipped[position] ^= 0x40;
            Assert.Contains("checksum", Load(flipped).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Concurrent_contexts_give_identical_outputs()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        var expected = TestNetworks.Run(engine, inputs, 2);
        var results = new IReadOnlyDictionary<string, float[]>[4];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            using var context = engine.CreateExecutionContext();
            for (var repeat = 0; repeat < 3; repeat++)
            {
                results[i] = context.Execute(inputs, 2);
            }
        });
        foreach (var r in results)
        {
            TestNetworks.SameBits(expected, r, "concurrent context");
        }
    }

    [Fact]
    public void Profile_times_every_step()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 1);
        using var engine = TestNetworks.Build(net, 1, int8: false);
        using var context = engine.CreateExecutionContext();
        var profile = context.Profile(inputs, 1);
        Assert.Equal(engine.Layers.Count + 2, profile.Layers.Count);
        Assert.All(profile.Layers, l => Assert.True(l.Milliseconds >= 0));
        Assert.Equal("input:data", profile.Layers[0].Name);
        Assert.True(profile.Launches >= engine.Layers.Count);
        TestNetworks.Near(NetworkReference.Run(net, inputs, 1), context.ReadOutputs(1), "profiled run");
    }

    [Fact]
    public void Int8_input_is_quantized_on_the_way_in()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 1);
        TestNetworks.SetRanges(net, inputs, 1);
        using var engine = TestNetworks.Build(net, 1, int8: true);
        Assert.Equal(DataType.Int8, engine.Plan.Tensors[engine.Plan.Inputs[0]].Type);
        Assert.DoesNotContain(engine.Layers, l => l.Type == LayerType.Convert);
    }
}
