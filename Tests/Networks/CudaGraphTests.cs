using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// CUDA graphs of an execution context: a batch size runs plainly, is captured on its second run and replayed after;
/// every output equals the same engine's plain launches bit for bit, and the CPU backends refuse with a reason.
/// </summary>
public sealed class CudaGraphTests
{
    /// <summary>Batch sizes of the runs: 1 and 3 are captured on their second run and replayed on their third; 2 runs once.</summary>
    private static readonly int[] Batches = [1, 3, 1, 3, 2, 3, 1];

    [Fact]
    [Trait("Category", "Gpu")]
    public void Graph_replays_equal_plain_launches_on_gpu()
    {
        var device = TestDevices.Cuda;
        var small = TestNetworks.SmallCnn();
        TestNetworks.SetRanges(small, TestNetworks.Inputs(small, 3), 3);
        using (var fp32 = TestNetworks.Build(small, 3, int8: false, device: device))
        {
            CheckSequence(fp32, "small CNN fp32");
        }

        using (var int8 = TestNetworks.Build(small, 3, int8: true, device: device))
        {
            CheckSequence(int8, "small CNN int8");
        }

        var resnet = SyntheticModels.ResNet18(32, 10);
        var calibrator = new MaxAbsCalibrator([(TestNetworks.Inputs(resnet, 3), 3)]);
        using var engine = EngineBuilder.Build(resnet, new BuilderConfig { MaxBatchSize = 3, Int8 = true, Calibrator = calibrator }, device);
        var graphed = CheckSequence(engine, "resnet18 int8");

        // Off drops the graphs (plain from then on); on again captures on the next run of a batch size seen before.
        using var context = engine.CreateExecutionContext();
        var inputs = TestNetworks.Inputs(resnet, 1, seed: 7);
        var expected = context.Execute(inputs, 1);
        context.Execute(inputs, 1);
        Assert.Equal((1, 0), (context.CudaGraphCaptures, context.CudaGraphReplays));
        context.CudaGraphs = false;
        TestNetworks.SameBits(expected, context.Execute(inputs, 1), "resnet18 int8, graphs turned off");
        context.CudaGraphs = true;
        TestNetworks.SameBits(expected, context.Execute(inputs, 1), "resnet18 int8, graphs on again (capture)");
        TestNetworks.SameBits(expected, context.Execute(inputs, 1), "resnet18 int8, graphs on again (replay)");
        Assert.Equal((2, 1), (context.CudaGraphCaptures, context.CudaGraphReplays));
        Assert.True(graphed > 0);
    }

    [Fact]
    public void Cpu_backends_refuse_graphs_with_a_reason_and_give_identical_results()
    {
        var net = TestNetworks.SmallCnn();
        TestNetworks.SetRanges(net, TestNetworks.Inputs(net, 3), 3);
        using (var ilgpu = TestNetworks.Build(net, 3, int8: true))
        {
            CheckSequence(ilgpu, "ilgpu-cpu int8", refusal: "CPU accelerator");
        }

        using (var cpu = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true }))
        {
            CheckSequence(cpu, "cpu backend int8", refusal: "CPU backend");
        }

        var queued = false;
        Assert.Null(CudaGraph.TryCapture(TestDevices.Cpu, () => queued = true, out var why));
        Assert.False(queued);
        Assert.Contains("CUDA accelerator", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Graph_switch_environment_values_parse_or_fail_clearly()
    {
        foreach (var on in new[] { null, "", "1", "true", "ON" })
        {
            Assert.True(ExecutionContext.GraphsAllowedBy(on));
        }

        foreach (var off in new[] { "0", "false", " Off " })
        {
            Assert.False(ExecutionContext.GraphsAllowedBy(off));
        }

        var error = Assert.Throws<ArgumentException>(() => ExecutionContext.GraphsAllowedBy("maybe"));
        Assert.Contains(ExecutionContext.CudaGraphsEnvironmentVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_stream_redirect_sets_and_restores_the_stream()
    {
        using var device = Int8Device.Create(DeviceKind.Cpu);
        var accelerator = device.Accelerator;
        var setter = CudaGraph.CreateStreamSetter();
        Assert.NotNull(setter);
        using var stream = accelerator.CreateStream();
        using (device.LaunchGate.Exclusive())
        {
            var original = setter(accelerator, stream);
            Assert.Same(stream, accelerator.DefaultStream);
            Assert.Same(stream, setter(accelerator, original));
            Assert.Same(original, accelerator.DefaultStream);
        }
    }

    /// <summary>
    /// Runs <see cref="Batches"/> on a graphed and a plain context of <paramref name="engine"/> (new inputs each run) and
    /// checks every output bit for bit and the counters: on CUDA 2 captures and 2 replays, else none and the refusal.
    /// </summary>
    private static int CheckSequence(Engine engine, string what, string? refusal = null)
    {
        using var graphed = engine.CreateExecutionContext();
        using var plain = engine.CreateExecutionContext();
        plain.CudaGraphs = false;
        var network = engine.Inputs.ToDictionary(b => b.Name, b => b.Dims.Volume, StringComparer.Ordinal);
        for (var run = 0; run < Batches.Length; run++)
        {
            var n = Batches[run];
            var inputs = network.ToDictionary(p => p.Key, p => TestData.Float((int)(p.Value * n), 500 + (31 * run)), StringComparer.Ordinal);
            TestNetworks.SameBits(plain.Execute(inputs, n), graphed.Execute(inputs, n), $"{what}: run {run} (batch {n}), graphs vs plain launches");
        }

        Assert.Equal((0, 0, null), (plain.CudaGraphCaptures, plain.CudaGraphReplays, plain.CudaGraphRefusal));
        if (refusal is null)
        {
            Assert.Null(graphed.CudaGraphRefusal);
            Assert.Equal((2, 2), (graphed.CudaGraphCaptures, graphed.CudaGraphReplays));
        }
        else
        {
            Assert.Contains(refusal, graphed.CudaGraphRefusal, StringComparison.Ordinal);
            Assert.Equal((0, 0), (graphed.CudaGraphCaptures, graphed.CudaGraphReplays));
        }

        return graphed.CudaGraphCaptures + graphed.CudaGraphReplays;
    }
}
