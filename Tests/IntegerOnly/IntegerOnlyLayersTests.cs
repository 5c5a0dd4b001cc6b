using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using ILGPUInt8.Tests.Operators;
using Xunit;

namespace ILGPUInt8.Tests.IntegerOnly;

/// <summary>
/// The integer-only forms of the layers that used to fail an integer-only build (issue 20): LRN, average pooling (both
/// divisor modes), concatenation of differently scaled inputs, a per-channel scale with negative and zero coefficients,
/// hard sigmoid, HardSwish and SiLU, in one network built integer-only: the ILGPU kernels on the CPU accelerator, the CPU
/// backend and the CPU engine read back from its file give the plan reference's bits, every step runs INT8, and the
/// outputs stay near the FP32 network's.
/// </summary>
public sealed class IntegerOnlyLayersTests
{
    [Fact]
    public void Integer_only_layers_are_bit_exact_on_the_accelerator_the_cpu_backend_and_the_reference()
    {
        var (net, inputs) = Network();
        using var engines = OperatorEngines.Build(net, IntegerOnlyEngineTests.Config(3));
        var plan = engines.All[0].Plan;
        Assert.True(engines.All[0].IntegerOnly);
        foreach (var name in new[] { "lrn", "apool", "epool", "hswish", "cat", "scale", "hsig", "silu" })
        {
            Assert.True(plan.Nodes.Single(n => n.Name == name).Int8, $"{name} runs INT8");
        }

        var expected = PlanReference.Outputs(plan, inputs, 3);
        foreach (var engine in engines.All)
        {
            TestNetworks.SameBits(expected, TestNetworks.Run(engine, inputs, 3), $"{engine.BackendName} vs reference");
        }

        // Close to FP32: each output within a few of its int8 steps (the integer forms are within one unit per layer).
        using var fp32 = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 3 });
        var f = TestNetworks.Run(fp32, inputs, 3);
        foreach (var (name, values) in expected)
        {
            var step = net.FindTensor(name)!.DynamicRange!.Value / 127f;
            var worst = values.Zip(f[name], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 6 * step, $"{name}: integer-only vs FP32 differs by {worst} ({worst / step:F1} steps)");
        }
    }

    [Fact]
    public void Without_integer_only_lrn_hard_sigmoid_and_scale_stay_fp32()
    {
        var (net, _) = Network();
        using var engine = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true });
        foreach (var name in new[] { "lrn", "scale", "hsig" })
        {
            Assert.False(engine.Plan.Nodes.Single(n => n.Name == name).Int8, $"{name} runs FP32 without integer-only");
        }
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(8, true)]
    public void Integer_only_residual_sums_fuse_with_the_unfused_bits_on_both_backends(int channels, bool relu)
    {
        // data (5, 7, 7) → conv 3×3 (K) + ReLU = a; conv 3×3 (K) of a = b; sum(a, b) (+ ReLU) → conv 1×1 (3): K = 6 takes
        // the epilogue's one-lane path, K = 8 the four-lane one.
        var net = new NetworkDefinition("integer_residual");
        var x = net.AddInput("data", new TensorDims(5, 7, 7));
        var a = net.AddConvolution(x, channels, new(3, 3), TestNetworks.Weights(channels * 5 * 9, 45, 11), TestData.Float(channels, 12, 0.2f), padding: new(1, 1), name: "conv_a").Output;
        a = net.AddActivation(a, ActivationKind.Relu, name: "relu_a").Output;
        var b = net.AddConvolution(a, channels, new(3, 3), TestNetworks.Weights(channels * channels * 9, channels * 9, 13), null, padding: new(1, 1), name: "conv_b").Output;
        var sum = net.AddElementWise(a, b, ElementWiseOperation.Sum, "sum").Output;
        if (relu)
        {
            sum = net.AddActivation(sum, ActivationKind.Relu, name: "relu_sum").Output;
        }

        net.MarkOutput(net.AddConvolution(sum, 3, new(1, 1), TestNetworks.Weights(3 * channels, channels, 14), null, name: "head").Output);
        var inputs = TestNetworks.Inputs(net, 3);
        TestNetworks.SetRanges(net, inputs, 3);
        var fusedConfig = IntegerOnlyEngineTests.Config(3);
        fusedConfig.FuseResidualSums = true;
        using var unfused = EngineBuilder.BuildCpu(net, IntegerOnlyEngineTests.Config(3, fusion: false));
        var expected = TestNetworks.Run(unfused, inputs, 3);
        foreach (var fused in new[] { EngineBuilder.Build(net, fusedConfig, TestDevices.Cpu), EngineBuilder.BuildCpu(net, fusedConfig) })
        {
            using (fused)
            {
                Assert.True(fused.IntegerOnly);
                Assert.Equal("conv_b", Assert.Single(fused.Layers, l => l.FusedResidualSum).Name);
                var actual = TestNetworks.Run(fused, inputs, 3);
                TestNetworks.SameBits(expected, actual, $"{fused.BackendName}: fused vs unfused");
                TestNetworks.SameBits(PlanReference.Outputs(fused.Plan, inputs, 3), actual, $"{fused.BackendName}: fused vs reference");
            }
        }
    }

    [Fact]
    public void A_scale_with_a_power_still_fails_the_integer_only_build()
    {
        var net = new NetworkDefinition("power");
        var x = net.AddInput("data", new TensorDims(2, 3, 3));
        var c = net.AddConvolution(x, 2, new(1, 1), TestNetworks.Weights(4, 2, 3), name: "conv").Output;
        net.MarkOutput(net.AddScale(c, ScaleMode.Uniform, [2f], [0.5f], [2f], "square").Output);
        var inputs = TestNetworks.Inputs(net, 1);
        TestNetworks.SetRanges(net, inputs, 1);
        var ex = Assert.Throws<NetworkException>(() => EngineBuilder.BuildCpu(net, IntegerOnlyEngineTests.Config(1)));
        Assert.Equal("square", ex.LayerName);
        Assert.Contains("'square' runs in FP32 (layer type Scale has no INT8 kernel)", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// data (6, 7, 7) → conv 3×3 (8) "c1"; LRN (5) → average pool 3×3 s2 p1 counting padding "apool"; HardSwish →
    /// average pool 3×3 s2 p1 without padding "epool"; concat (different scales) → per-channel scale (negative, zero and
    /// large coefficients) → hard sigmoid → SiLU; outputs the concatenation and the SiLU.
    /// </summary>
    internal static (NetworkDefinition Net, Dictionary<string, float[]> Inputs) Network()
    {
        var net = new NetworkDefinition("integer_layers");
        var x = net.AddInput("data", new TensorDims(6, 7, 7));
        var t = net.AddConvolution(x, 8, new(3, 3), TestNetworks.Weights(8 * 6 * 9, 54, 1), TestData.Float(8, 2, 0.2f), padding: new(1, 1), name: "c1").Output;
        var a = net.AddLrn(t, 5, 0.8f, 0.75f, 1f, "lrn").Output;
        a = net.AddPooling(a, PoolingType.Average, new(3, 3), new(2, 2), new(1, 1), countPadding: true, name: "apool").Output;
        var b = net.AddActivation(t, ActivationKind.HardSwish, name: "hswish").Output;
        b = net.AddPooling(b, PoolingType.Average, new(3, 3), new(2, 2), new(1, 1), countPadding: false, name: "epool").Output;
        var cat = net.AddConcatenation([a, b], "cat").Output;
        float[] scale = [.. Enumerable.Range(0, 16).Select(i => i == 3 ? 0f : i % 2 == 0 ? 0.4f + (0.3f * i) : -0.7f - (0.1f * i))];
        float[] shift = [.. Enumerable.Range(0, 16).Select(i => (0.05f * i) - 0.3f)];
        var s = net.AddScale(cat, ScaleMode.Channel, scale, shift, name: "scale").Output;
        var h = net.AddHardSigmoid(s, 0.3f, 0.45f, "hsig").Output;
        var y = net.AddActivation(h, ActivationKind.Silu, name: "silu").Output;
        net.MarkOutput(cat);
        net.MarkOutput(y);
        var inputs = TestNetworks.Inputs(net, 3);
        TestNetworks.SetRanges(net, inputs, 3);
        return (net, inputs);
    }
}
