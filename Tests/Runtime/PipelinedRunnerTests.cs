using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Runtime;

/// <summary>
/// <see cref="PipelinedRunner{TInput}"/>: every output equals a plain <c>ExecutionContext.Execute</c>
/// of the same batch bit for bit and comes back in input order (odd batch counts, partial batches), on the CPU
/// accelerator and the CPU backend (plain copies) and on CUDA (overlapped copies); a failure mid-stream names its batch
/// and leaves the runner usable.
/// </summary>
public sealed class PipelinedRunnerTests
{
    private const int MaxBatch = 3;

    /// <summary>Items of each batch: an odd count of batches, partial ones among them.</summary>
    private static readonly int[] Sizes = [3, 1, 3, 2, 3];

    [Fact]
    public void Outputs_equal_plain_execute_in_order_on_the_cpu_accelerator_and_the_cpu_backend()
    {
        var net = Network();
        using (var ilgpu = TestNetworks.Build(net, MaxBatch, int8: true))
        {
            CheckStream(ilgpu, depth: 3, "ilgpu-cpu int8");
        }

        using var cpu = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = MaxBatch, Int8 = true });
        CheckStream(cpu, depth: 2, "cpu backend int8");
    }

    [Fact]
    public void A_failure_mid_stream_names_its_batch_and_the_runner_stays_usable()
    {
        var net = Network();
        using var engine = TestNetworks.Build(net, MaxBatch, int8: true);
        using var runner = new PipelinedRunner<float>(engine);
        var batches = Batches(engine, Sizes);
        var expected = Expected(engine, batches);

        // The source throws at batch 2: batches 0 and 1 have come back, then the error with its batch.
        var seen = new List<long>();
        var ex = Assert.Throws<InvalidOperationException>(() => runner.Run(Failing(batches, at: 2), (i, _) => seen.Add(i)));
        Assert.Contains("batch 2", ex.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(ex.InnerException);
        Assert.Equal([0L, 1L], seen);

        // A batch of the wrong length.
        var bad = batches.Select(b => (ReadOnlyMemory<float>)b).ToList();
        bad[1] = bad[1][..^1];
        var wrong = Assert.Throws<ArgumentException>(() => runner.Run(bad, (_, _) => { }));
        Assert.Contains("Batch 1", wrong.Message, StringComparison.Ordinal);

        // The consumer throws at batch 3.
        var failed = Assert.Throws<InvalidOperationException>(() => runner.Run(Memories(batches), (i, _) =>
        {
            if (i == 3)
            {
                throw new FormatException("consumer");
            }
        }));
        Assert.Contains("output callback failed at batch 3", failed.Message, StringComparison.Ordinal);

        // The fill callback throws at batch 1.
        var fill = Assert.Throws<InvalidOperationException>(() => runner.Run(4, MaxBatch, (i, _) =>
        {
            if (i == 1)
            {
                throw new FormatException("fill");
            }
        }, (_, _) => { }));
        Assert.Contains("fill callback failed at batch 1", fill.Message, StringComparison.Ordinal);

        // A stream left early (the consumer stops) and then a full run: still the plain outputs.
        Assert.Single(runner.Run(Memories(batches)).Take(1));
        Same(expected, [.. runner.Run(Memories(batches))], "after the failures");
        Assert.Equal(Sizes.Length, runner.LastRun!.Batches);
        Assert.Equal(Sizes.Sum(), runner.LastRun.Items);
    }

    [Fact]
    public void Wrong_element_type_and_multi_binding_engines_are_refused_clearly()
    {
        using var engine = TestNetworks.Build(Network(), MaxBatch, int8: false);
        var ex = Assert.Throws<ArgumentException>(() => new PipelinedRunner<byte>(engine));
        Assert.Contains("PipelinedRunner<Single>", ex.Message, StringComparison.Ordinal);
        using var runner = new PipelinedRunner<float>(engine);
        Assert.False(runner.Overlapped);
        Assert.Contains("CPU accelerator", runner.FallbackReason, StringComparison.Ordinal);
        Assert.Equal(1, runner.Depth);
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Run(1, MaxBatch + 1, (_, _) => { }, (_, _) => { }));
    }

    [Fact]
    public void Stage_times_count_the_bytes_of_a_batch()
    {
        using var engine = TestNetworks.Build(Network(), MaxBatch, int8: true);
        using var runner = new PipelinedRunner<float>(engine);
        var t = runner.MeasureStages(2, repeats: 2);
        Assert.Equal(2 * 3 * 8 * 8 * sizeof(float), t.InputBytes);
        Assert.Equal(2 * 10 * sizeof(float), t.OutputBytes);
        Assert.True(t.ComputeMs > 0 && double.IsFinite(t.ComputeMs));
        Assert.True(t.HostToDeviceMs >= 0 && t.DeviceToHostMs >= 0);
        Assert.False(t.PageLocked);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Overlapped_outputs_equal_plain_execute_on_gpu()
    {
        var device = TestDevices.Cuda;
        var resnet = SyntheticModels.ResNet18(32, 10);
        var calibrator = new MaxAbsCalibrator([(TestNetworks.Inputs(resnet, MaxBatch), MaxBatch)]);
        using var engine = EngineBuilder.Build(resnet, new BuilderConfig { MaxBatchSize = MaxBatch, Int8 = true, Calibrator = calibrator }, device);
        CheckStream(engine, depth: 3, "resnet18 int8 cuda", overlapped: true);
        using var runner = new PipelinedRunner<float>(engine);
        var t = runner.MeasureStages(MaxBatch, repeats: 5);
        Assert.True(t.PageLocked);
        Assert.True(t.HostToDeviceMs > 0 && t.ComputeMs > 0 && t.DeviceToHostMs > 0);
    }

    private static NetworkDefinition Network()
    {
        var net = TestNetworks.SmallCnn();
        TestNetworks.SetRanges(net, TestNetworks.Inputs(net, MaxBatch), MaxBatch);
        return net;
    }

    /// <summary>The three ways in (sequence to arrays, sequence to a callback, fill in place) against plain runs.</summary>
    private static void CheckStream(Engine engine, int depth, string what, bool overlapped = false)
    {
        var batches = Batches(engine, Sizes);
        var expected = Expected(engine, batches);
        using var runner = new PipelinedRunner<float>(engine, depth);
        Assert.Equal(overlapped, runner.Overlapped);
        Same(expected, [.. runner.Run(Memories(batches))], what + ", arrays");

        var got = new List<float[]>();
        var order = new List<long>();
        Assert.Equal(Sizes.Length, runner.Run(Memories(batches), (i, o) =>
        {
            order.Add(i);
            got.Add(o.ToArray());
        }));
        Assert.Equal(Enumerable.Range(0, Sizes.Length).Select(i => (long)i), order);
        Same(expected, got, what + ", callback");

        // Seven full batches filled in place, each a different one of the inputs (batch i takes input i mod 3).
        var full = Batches(engine, [MaxBatch, MaxBatch, MaxBatch]);
        var fullExpected = Expected(engine, full);
        got.Clear();
        runner.Run(7, MaxBatch, (i, span) => full[(int)(i % 3)].CopyTo(span), (i, o) => got.Add(o.ToArray()));
        Same([.. Enumerable.Range(0, 7).Select(i => fullExpected[i % 3])], got, what + ", fill");
    }

    private static List<float[]> Batches(Engine engine, int[] sizes) =>
        [.. sizes.Select((n, i) => TestData.Float((int)(engine.Inputs[0].Dims.Volume * n), 500 + i))];

    private static List<float[]> Expected(Engine engine, List<float[]> batches)
    {
        using var context = engine.CreateExecutionContext();
        var volume = engine.Inputs[0].Dims.Volume;
        return [.. batches.Select(b => context.Execute(b, (int)(b.Length / volume)))];
    }

    private static IEnumerable<ReadOnlyMemory<float>> Memories(List<float[]> batches) => batches.Select(b => (ReadOnlyMemory<float>)b);

    private static IEnumerable<ReadOnlyMemory<float>> Failing(List<float[]> batches, int at)
    {
        for (var i = 0; i < batches.Count; i++)
        {
            if (i == at)
            {
                throw new IOException("the reader failed");
            }

            yield return batches[i];
        }
    }

    private static void Same(List<float[]> expected, List<float[]> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} outputs, {expected.Count} expected");
        for (var b = 0; b < expected.Count; b++)
        {
            var bad = Enumerable.Range(0, expected[b].Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(expected[b][i]) != BitConverter.SingleToInt32Bits(actual[b].ElementAtOrDefault(i)), -1);
            Assert.True(expected[b].Length == actual[b].Length && bad < 0, $"{what}: batch {b} differs at {bad} ({expected[b].Length} vs {actual[b].Length} values)");
        }
    }
}
