using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Devices;

/// <summary>
/// <see cref="DataParallelRunner"/> with several CPU accelerators as devices: every output equals a plain
/// <c>ExecutionContext.Execute</c> of the original engine bit for bit and comes back in input order (batch counts that
/// do not divide by the device count, partial batches), statically split and work-stealing; a device that fails is
/// named with its spec and accelerator, and the other devices' outputs are kept.
/// </summary>
public sealed class DataParallelRunnerTests
{
    private const int MaxBatch = 3;

    /// <summary>Seven batches, partial ones among them: no device count of 2 or 3 divides them evenly.</summary>
    private static readonly int[] Sizes = [3, 1, 3, 2, 3, 1, 2];

    [Theory]
    [InlineData(2, DataParallelSplit.Static, true)]
    [InlineData(3, DataParallelSplit.Static, true)]
    [InlineData(2, DataParallelSplit.WorkStealing, true)]
    [InlineData(3, DataParallelSplit.WorkStealing, false)]
    public void Outputs_equal_one_device_in_input_order(int deviceCount, DataParallelSplit split, bool int8)
    {
        using var engine = Engine(int8);
        var batches = Batches(engine, Sizes);
        var expected = Expected(engine, batches);
        using var devices = DeviceSet.Open([.. Enumerable.Repeat(DeviceSpec.Cpu, deviceCount)]);
        using var runner = new DataParallelRunner(engine, devices.Devices, new DataParallelOptions { Split = split });
        Assert.Equal(deviceCount, runner.Replicas.Count);
        Assert.All(runner.Replicas, r => Assert.Equal("cpu", r.BackendName));
        Same(expected, [.. runner.Run([.. batches.Select(b => (ReadOnlyMemory<float>)b)])], $"{deviceCount} devices, {split}");

        // The dictionary overload (any number of inputs and outputs) gives the same, and a second run too.
        var name = engine.Inputs[0].Name;
        var output = engine.Outputs[0].Name;
        var dict = runner.Run([.. batches.Select(b => (IReadOnlyDictionary<string, float[]>)new Dictionary<string, float[]> { [name] = b })]);
        Same(expected, [.. dict.Select(d => d[output])], $"{deviceCount} devices, {split}, by name");

        var stats = runner.LastRun!;
        Assert.Equal(Sizes.Length, stats.Batches);
        Assert.Equal(Sizes.Sum(), stats.Items);
        Assert.Equal(deviceCount, stats.Devices.Count);
        if (split == DataParallelSplit.Static)
        {
            // Device d runs batches [d·B/n, (d+1)·B/n).
            Assert.Equal(Enumerable.Range(0, deviceCount).Select(d => (long)(((d + 1) * Sizes.Length / deviceCount) - (d * Sizes.Length / deviceCount))), stats.Devices.Select(s => s.Batches));
        }
    }

    [Fact]
    public void More_devices_than_batches_and_no_batches_at_all()
    {
        using var engine = Engine(int8: true);
        var batches = Batches(engine, [2]);
        using var devices = DeviceSet.Open(DeviceSpec.ParseList("cpu,cpu,cpu"));
        using var runner = new DataParallelRunner(engine, devices.Devices, new DataParallelOptions { Split = DataParallelSplit.Static });
        Same(Expected(engine, batches), [.. runner.Run([(ReadOnlyMemory<float>)batches[0]])], "one batch on three devices");
        Assert.Empty(runner.Run(Array.Empty<ReadOnlyMemory<float>>()));
    }

    [Theory]
    [InlineData(DataParallelSplit.Static)]
    [InlineData(DataParallelSplit.WorkStealing)]
    public void A_failing_device_is_named_and_the_others_work_is_kept(DataParallelSplit split)
    {
        using var engine = Engine(int8: true);
        var batches = Batches(engine, Sizes);
        var expected = Expected(engine, batches);
        using var devices = DeviceSet.Open([DeviceSpec.Cpu, DeviceSpec.Cpu, DeviceSpec.Cpu]);

        // Device 1 fails before its first batch: the other two run everything else (work stealing) or their own share
        // (static). They wait until it has failed, so that it surely takes a batch.
        using var failed = new ManualResetEventSlim();
        var options = new DataParallelOptions
        {
            Split = split,
            BeforeBatch = (device, _) =>
            {
                if (device == 1)
                {
                    failed.Set();
                    throw new IOException("injected failure");
                }

                failed.Wait(TimeSpan.FromSeconds(30));
            },
        };
        using var runner = new DataParallelRunner(engine, devices.Devices, options);
        var ex = Assert.Throws<DataParallelException>(() => runner.Run([.. batches.Select(b => (ReadOnlyMemory<float>)b)]));
        var name = devices.Devices[1].DisplayName;
        Assert.StartsWith("cpu (", name, StringComparison.Ordinal);
        Assert.Contains($"device 1 ({name}) failed: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("injected failure", ex.Message, StringComparison.Ordinal);
        Assert.Equal([$"device 1 ({name})"], ex.FailedDevices);
        Assert.Contains(Chain(ex.InnerException), e => e is IOException);

        // What completed is there, equal to one device's outputs; the rest is null and said in the message.
        var output = engine.Outputs[0].Name;
        var completed = Enumerable.Range(0, batches.Count).Where(i => ex.Completed[i] is not null).ToList();
        // Static: device 1's share [7/3, 14/3) = batches 2 and 3. Work stealing: the one batch device 1 took when it failed.
        var missing = Enumerable.Range(0, batches.Count).Except(completed).ToList();
        Assert.Equal(split == DataParallelSplit.Static ? [2, 3] : missing, missing);
        Assert.Equal(split == DataParallelSplit.Static ? 2 : 1, missing.Count);
        foreach (var i in completed)
        {
            Same([expected[i]], [ex.Completed[i]![output]], $"batch {i} kept");
        }

        Assert.Contains($"Completed {completed.Count} of {batches.Count} batches", ex.Message, StringComparison.Ordinal);
        Assert.Contains(split == DataParallelSplit.Static ? "not run: 2-3" : $"not run: {missing[0]}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, ex.Stats.Devices[1].Batches);
    }

    [Fact]
    public void Create_opens_one_cpu_accelerator_per_listed_cpu()
    {
        using var engine = Engine(int8: true);
        using var runner = DataParallelRunner.Create(engine, DeviceSpec.ParseList("cpu,cpu"));
        Assert.Equal(2, runner.Devices.Count);
        Assert.NotSame(runner.Devices[0], runner.Devices[1]);
        Assert.NotSame(runner.Devices[0].Accelerator, runner.Devices[1].Accelerator);
        Assert.All(runner.Devices, d => Assert.Equal(DeviceSpec.Cpu, d.Spec));
        var dup = Assert.Throws<ArgumentException>(() => new DataParallelRunner(engine, [runner.Devices[0], runner.Devices[0]]));
        Assert.Contains("listed twice", dup.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    /// <summary>A small CNN for the CPU backend with ranges from its own inputs.</summary>
    internal static Engine Engine(bool int8)
    {
        var net = TestNetworks.SmallCnn();
        TestNetworks.SetRanges(net, TestNetworks.Inputs(net, MaxBatch), MaxBatch);
        return EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = MaxBatch, Int8 = int8 });
    }

    private static List<float[]> Batches(Engine engine, int[] sizes) =>
        [.. sizes.Select((n, i) => TestData.Float((int)(engine.Inputs[0].Dims.Volume * n), 700 + i))];

    private static List<float[]> Expected(Engine engine, List<float[]> batches)
    {
        using var context = engine.CreateExecutionContext();
        var volume = engine.Inputs[0].Dims.Volume;
        return [.. batches.Select(b => context.Execute(b, (int)(b.Length / volume)))];
    }

    private static void Same(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} outputs, {expected.Count} expected");
        for (var b = 0; b < expected.Count; b++)
        {
            var bad = Enumerable.Range(0, expected[b].Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(expected[b][i]) != BitConverter.SingleToInt32Bits(actual[b].ElementAtOrDefault(i)), -1);
            Assert.True(expected[b].Length == actual[b].Length && bad < 0, $"{what}: batch {b} differs at {bad} ({expected[b].Length} vs {actual[b].Length} values)");
        }
    }
}
