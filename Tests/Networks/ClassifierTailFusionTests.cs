using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// The INT8 classifier tail (fully connected + softmax + dequantize) in one launch: shown in the engine's layer list,
/// and bit for bit the unfused plan (the same context with every step writing its own tensor), the reference pipeline
/// and the CPU backend (which runs them apart).
/// </summary>
public sealed class ClassifierTailFusionTests
{
    [Fact]
    public void Small_cnn_tail_runs_fused_and_equals_the_unfused_plan() => Check(TestDevices.Cpu, TestNetworks.SmallCnn(), batch: 3, "fc", "prob");

    [Fact]
    public void Resnet_tail_runs_fused_and_equals_the_unfused_plan() => Check(TestDevices.Cpu, SyntheticModels.ResNet18(32, 40), batch: 2, "fc", "prob");

    [Fact]
    public void Above_the_batch_limit_the_tail_runs_apart_with_the_same_bits()
    {
        // The fused kernel runs up to FusedSoftMaxBatchLimit rows; a larger batch runs FC and softmax as two steps.
        int batch = ConvolutionStep.FusedSoftMaxBatchLimit + 3;
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, batch);
        TestNetworks.SetRanges(net, inputs, batch);
        using var engine = TestNetworks.Build(net, batch, int8: true);
        Assert.True(engine.Layers.Single(l => l.Name == "fc").FusedSoftMax);
        var small = inputs.ToDictionary(kv => kv.Key, kv => kv.Value[..(kv.Value.Length / batch * 2)]);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, batch), TestNetworks.Run(engine, inputs, batch), $"batch {batch}: tail apart vs reference pipeline");
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, small, 2), TestNetworks.Run(engine, small, 2), "batch 2: fused tail vs reference pipeline");
    }

    [Fact]
    public void An_fc_output_read_elsewhere_is_not_fused()
    {
        // The logits are also a network output: the softmax runs on its own.
        var net = TestNetworks.SmallCnn();
        net.MarkOutput(net.Layers.Single(l => l.Name == "fc").Output);
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        Assert.DoesNotContain(engine.Layers, l => l.FusedSoftMax);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 2), TestNetworks.Run(engine, inputs, 2), "fc output kept: vs reference pipeline");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Tails_on_cuda_equal_the_unfused_plan()
    {
        Check(TestDevices.Cuda, TestNetworks.SmallCnn(), batch: 3, "fc", "prob");
        Check(TestDevices.Cuda, SyntheticModels.ResNet18(64, 1000), batch: 16, "fc", "prob");
    }

    private static void Check(Int8Device device, NetworkDefinition net, int batch, string fc, string softMax)
    {
        var inputs = TestNetworks.Inputs(net, batch);
        TestNetworks.SetRanges(net, inputs, batch);
        using var engine = TestNetworks.Build(net, batch, int8: true, device: device);
        var tail = engine.Layers.Single(l => l.Name == fc);
        Assert.True(tail.FusedSoftMax, $"'{fc}' should run the softmax: {tail}");
        Assert.Contains("+SoftMax", tail.Fusions, StringComparison.Ordinal);
        Assert.StartsWith("fc_softmax_s8", tail.KernelName, StringComparison.Ordinal);
        Assert.Contains("(fused into", engine.Layers.Single(l => l.Name == softMax).KernelName, StringComparison.Ordinal);

        using var context = engine.CreateExecutionContext();
        var fused = context.Execute(inputs, batch);
        context.Unfused = true;
        var unfused = context.Execute(inputs, batch);
        context.Unfused = false;
        var again = context.Execute(inputs, batch);
        TestNetworks.SameBits(unfused, fused, $"{device.Accelerator.AcceleratorType}: fused tail vs unfused plan");
        TestNetworks.SameBits(fused, again, $"{device.Accelerator.AcceleratorType}: fused tail, second run (counters back at zero)");
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, batch), fused, $"{device.Accelerator.AcceleratorType}: fused tail vs reference pipeline");
        using var cpu = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = batch, Int8 = true });
        TestNetworks.SameBits(TestNetworks.Run(cpu, inputs, batch), fused, $"{device.Accelerator.AcceleratorType}: fused tail vs the CPU backend");
    }
}
