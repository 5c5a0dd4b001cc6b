using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Runtime;

/// <summary>
/// The CPU backend's steady state allocates nothing: after warm-up, <see cref="Layers.Runtime.ExecutionContext"/>'s span path
/// (SetInput / Enqueue / ReadOutput, and Execute over spans) runs 20 times with 0 bytes allocated on the calling thread,
/// on the worker pool's threads and in the whole process, serial (small batch) and parallel (large batch), with the outputs
/// bit-identical to the reference pipeline (INT8) or to the allocating overloads (FP32).
/// </summary>
public sealed class ZeroAllocationTests
{
    private const int WarmUp = 40;
    private const int Measured = 20;

    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 3)]
    [InlineData(true, 512)]
    [InlineData(false, 512)]
    public void Small_cnn_span_execute_allocates_nothing(bool int8, int batch)
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, batch);
        if (int8)
        {
            TestNetworks.SetRanges(net, inputs, batch);
        }

        using var engine = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = batch, Int8 = int8 });
        using var context = engine.CreateExecutionContext();
        var input = inputs["data"];
        var expected = int8 ? PlanReference.Outputs(engine.Plan, inputs, batch)["prob"] : context.Execute(input, batch);
        var output = new float[expected.Length];
        var what = $"small cnn int8={int8} batch {batch}";
        NothingAllocated(() => context.Execute(input, output, batch), what);
        Exact.EqualBits(expected, output, what);
    }

    [Theory]
    [InlineData(true, 64)]
    [InlineData(false, 64)]
    [InlineData(true, 1)]
    public void Fashion_cnn_span_execute_allocates_nothing(bool int8, int batch)
    {
        var model = OnnxNetworkLoader.Load(int8 ? OnnxFixtures.FashionCnnQdq : OnnxFixtures.FashionCnn);
        using var engine = EngineBuilder.BuildCpu(model.Network, new BuilderConfig { MaxBatchSize = batch, Int8 = int8 });
        using var context = engine.CreateExecutionContext();
        var input = OnnxFixtures.FashionTestImages(batch).Images;
        var expected = context.Execute(input, batch);
        var output = new float[expected.Length];
        var what = $"fashion cnn int8={int8} batch {batch}";
        NothingAllocated(() => context.Execute(input, output, batch), what);
        Exact.EqualBits(expected, output, what);
    }

    /// <summary>
    /// The dictionary overload allocates its results only (the output array and the dictionary holding it, a few hundred
    /// bytes beyond the array): no ILGPU views or copies, no LINQ, no input dictionary walk per call. Outputs equal
    /// the span path's bit for bit.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void Fashion_cnn_dictionary_execute_allocates_only_its_results(int batch)
    {
        var model = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnnQdq);
        using var engine = EngineBuilder.BuildCpu(model.Network, new BuilderConfig { MaxBatchSize = batch, Int8 = true });
        using var context = engine.CreateExecutionContext();
        var input = OnnxFixtures.FashionTestImages(batch).Images;
        var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal) { [engine.Inputs[0].Name] = input };
        var expected = new float[engine.Outputs[0].Dims.Volume * batch];
        context.Execute(input, expected, batch);
        for (var i = 0; i < WarmUp; i++)
        {
            context.Execute(inputs, batch);
        }

        long resultBytes = (expected.Length * sizeof(float)) + 24, least = long.MaxValue;
        IReadOnlyDictionary<string, float[]>? outputs = null;
        for (var window = 0; window < 5 && least > resultBytes + 512; window++)
        {
            long thread0 = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Measured; i++)
            {
                outputs = context.Execute(inputs, batch);
            }

            least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - thread0) / Measured);
        }

        Assert.True(least <= resultBytes + 512, $"batch {batch}: {least} bytes a call; the results are {resultBytes}.");
        Exact.EqualBits(expected, outputs![engine.Outputs[0].Name], $"dictionary vs span, batch {batch}");
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 2)]
    [InlineData(true, 256)]
    [InlineData(false, 256)]
    public void Every_cpu_step_type_allocates_nothing(bool int8, int batch)
    {
        var net = LayerCoverageTests.Wide();
        var inputs = TestNetworks.Inputs(net, batch);
        if (int8)
        {
            TestNetworks.SetRanges(net, inputs, batch);
        }

        using var engine = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = batch, Int8 = int8 });
        using var context = engine.CreateExecutionContext();
        var expected = int8 ? PlanReference.Outputs(engine.Plan, inputs, batch) : context.Execute(inputs, batch);
        var outputs = engine.Outputs.ToDictionary(o => o.Name, o => new float[o.Dims.Volume * batch], StringComparer.Ordinal);
        var inputArrays = engine.Inputs.Select(i => (i.Name, inputs[i.Name])).ToArray();
        var outputArrays = outputs.Select(o => (o.Key, o.Value)).ToArray();
        var what = $"wide int8={int8} batch {batch}";
        NothingAllocated(
            () =>
            {
                foreach (var (name, values) in inputArrays)
                {
                    context.SetInput(name, values, batch);
                }

                context.Enqueue(batch);
                foreach (var (name, values) in outputArrays)
                {
                    context.ReadOutput(name, values, batch);
                }
            },
            what);
        TestNetworks.SameBits(expected, outputs, what);
    }

    /// <summary>
    /// After <see cref="WarmUp"/> runs, windows of <see cref="Measured"/> runs until one allocates 0 bytes on the
    /// caller, 0 on the pool's workers and 0 in the whole process (at most 5 windows: a thread's scratch arrays grow the
    /// first time it runs an item of a new size, and the test host's own threads may allocate while a window runs).
    /// </summary>
    private static void NothingAllocated(Action run, string what)
    {
        for (var i = 0; i < WarmUp; i++)
        {
            run();
        }

        var windows = new List<string>();
        for (var window = 0; window < 5; window++)
        {
            long thread0 = GC.GetAllocatedBytesForCurrentThread(), workers0 = CpuWorkerPool.WorkerAllocatedBytes, total0 = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Measured; i++)
            {
                run();
            }

            long total = GC.GetTotalAllocatedBytes(precise: true) - total0;
            long thread = GC.GetAllocatedBytesForCurrentThread() - thread0, workers = CpuWorkerPool.WorkerAllocatedBytes - workers0;
            if (thread == 0 && workers == 0 && total == 0)
            {
                return;
            }

            windows.Add($"caller {thread}, workers {workers}, process {total}");
        }

        Assert.Fail($"{what}: every window of {Measured} runs allocated (bytes): {string.Join("; ", windows)}.");
    }
}
