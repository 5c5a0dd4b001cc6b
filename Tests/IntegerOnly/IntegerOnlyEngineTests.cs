using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.IntegerOnly;

/// <summary>
/// Integer-only engines (<see cref="BuilderConfig.IntegerOnly"/>, issue 20): the ILGPU kernels on the CPU accelerator,
/// the CPU backend and the plan reference give the same bits; the softmax writes multiples of 1/127; close to the
/// float-requantize INT8 engine; a float step left fails the build naming the layer; the engine file keeps the flag.
/// </summary>
public sealed class IntegerOnlyEngineTests
{
    [Fact]
    public void Integer_only_cnn_is_bit_exact_between_the_ilgpu_kernels_the_cpu_backend_and_the_reference()
    {
        var (net, inputs) = Cnn();
        using var gpuKernels = EngineBuilder.Build(net, Config(3), TestDevices.Cpu);
        using var cpu = EngineBuilder.BuildCpu(net, Config(3));
        Assert.True(gpuKernels.IntegerOnly);
        Assert.Contains("integer-only", gpuKernels.Describe(), StringComparison.Ordinal);
        var expected = PlanReference.Outputs(gpuKernels.Plan, inputs, 3);
        TestNetworks.SameBits(expected, TestNetworks.Run(gpuKernels, inputs, 3), "ilgpu cpu accelerator vs reference");
        TestNetworks.SameBits(expected, TestNetworks.Run(cpu, inputs, 3), "cpu backend vs reference");

        // Unfused, the activations run as their own steps with integer-built tables: again the reference's bits.
        using var unfused = EngineBuilder.BuildCpu(net, Config(3, fusion: false));
        TestNetworks.SameBits(PlanReference.Outputs(unfused.Plan, inputs, 3), TestNetworks.Run(unfused, inputs, 3), "unfused cpu backend vs reference");
    }

    [Fact]
    public void Integer_only_softmax_writes_multiples_of_one_127th_close_to_the_float_requantize_engine()
    {
        var (net, inputs) = Cnn();
        using var integer = EngineBuilder.BuildCpu(net, Config(3));
        using var floatRequantize = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true });
        Assert.False(floatRequantize.IntegerOnly);
        var p = TestNetworks.Run(integer, inputs, 3)["prob"];
        var f = TestNetworks.Run(floatRequantize, inputs, 3)["prob"];
        for (var i = 0; i < p.Length; i++)
        {
            var q = p[i] * 127f;
            Assert.True(Math.Abs(q - MathF.Round(q)) < 1e-4f && q >= 0f, $"prob[{i}] = {p[i]} is not k/127");
            Assert.True(Math.Abs(p[i] - f[i]) < 0.06f, $"prob[{i}]: integer-only {p[i]} vs float requantize {f[i]}");
        }

        for (var n = 0; n < 3; n++)
        {
            var sum = p.AsSpan(n * 7, 7).ToArray().Sum();
            Assert.InRange(sum, 1f - (7f / 254f), 1f + (7f / 254f));
        }
    }

    [Fact]
    public void A_float_step_fails_the_build_naming_the_layer()
    {
        // The small CNN's average pooling has an integer-only form; forced to FP32 it fails the build, named.
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using (var ok = EngineBuilder.BuildCpu(net, Config(2)))
        {
            Assert.True(ok.Plan.Nodes.Single(n => n.Name == "pool2").Int8);
        }

        var forced = Config(2);
        forced.LayerPrecisions["pool2"] = LayerPrecision.Float;
        var ex = Assert.Throws<NetworkException>(() => EngineBuilder.BuildCpu(net, forced));
        Assert.Equal("pool2", ex.LayerName);
        Assert.Contains("integer-only", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'pool2' runs in FP32", ex.Message, StringComparison.Ordinal);

        // A layer with no INT8 kernel even integer-only (a scale with a power) and a layer forced to FP32 are both named.
        var lrn = new NetworkDefinition("lrn");
        var x = lrn.AddInput("data", new TensorDims(4, 3, 3));
        var c = lrn.AddConvolution(x, 4, new(1, 1), TestNetworks.Weights(16, 4, 3), name: "conv").Output;
        var l = lrn.AddScale(c, ScaleMode.Uniform, [1.5f], [0.25f], [2f], "norm").Output;
        var y = lrn.AddConvolution(l, 4, new(1, 1), TestNetworks.Weights(16, 4, 4), name: "head");
        y.Precision = LayerPrecision.Float;
        lrn.MarkOutput(y.Output);
        var li = TestNetworks.Inputs(lrn, 1);
        TestNetworks.SetRanges(lrn, li, 1);
        var e2 = Assert.Throws<NetworkException>(() => EngineBuilder.BuildCpu(lrn, Config(1)));
        Assert.Equal("norm", e2.LayerName);
        Assert.Contains("'norm' runs in FP32 (layer type Scale has no INT8 kernel)", e2.Message, StringComparison.Ordinal);
        Assert.Contains("'head' runs in FP32", e2.Message, StringComparison.Ordinal);

        // Without INT8 the option makes no sense.
        Assert.Throws<ArgumentException>(() => EngineBuilder.BuildCpu(lrn, new BuilderConfig { IntegerOnly = true }));
    }

    [Fact]
    public void The_engine_file_keeps_integer_only_and_its_bits()
    {
        var (net, inputs) = Cnn();
        using var engine = EngineBuilder.BuildCpu(net, Config(3));
        var path = Path.Combine(Path.GetTempPath(), $"intonly-{Environment.ProcessId}-{Guid.NewGuid():N}.ilgpui8");
        try
        {
            engine.Save(path);
            using var loaded = Engine.LoadCpu(path);
            Assert.True(loaded.IntegerOnly);
            TestNetworks.SameBits(TestNetworks.Run(engine, inputs, 3), TestNetworks.Run(loaded, inputs, 3), "saved vs loaded");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The integer-only options on the CPU backend.</summary>
    internal static BuilderConfig Config(int batch, bool fusion = true) => new() { MaxBatchSize = batch, Int8 = true, IntegerOnly = true, Fusion = fusion };

    /// <summary>
    /// data (5, 9, 9) → conv 3×3 (6) + ReLU → max pool 2 → conv 3×3 (8) + sigmoid → tanh → deconv 2×2 stride 2 (4) +
    /// leaky ReLU → conv 3×3 (4) + clip → flatten → FC (12) + ReLU → FC (7) → softmax "prob"; ranges from the FP32
    /// reference on seeded inputs, which reach the int8 edges.
    /// </summary>
    internal static (NetworkDefinition Net, Dictionary<string, float[]> Inputs) Cnn()
    {
        var net = new NetworkDefinition("integer_cnn");
        var x = net.AddInput("data", new TensorDims(5, 9, 9));
        var t = net.AddConvolution(x, 6, new(3, 3), TestNetworks.Weights(6 * 5 * 9, 45, 1), TestData.Float(6, 2, 0.2f), padding: new(1, 1), name: "conv1").Output;
        t = net.AddActivation(t, ActivationKind.Relu, name: "relu1").Output;
        t = net.AddPooling(t, PoolingType.Max, new(2, 2), name: "pool1").Output;
        t = net.AddConvolution(t, 8, new(3, 3), TestNetworks.Weights(8 * 6 * 9, 54, 3), TestData.Float(8, 4, 0.2f), padding: new(1, 1), name: "conv2").Output;
        t = net.AddActivation(t, ActivationKind.Sigmoid, name: "sigmoid2").Output;
        t = net.AddActivation(t, ActivationKind.Tanh, name: "tanh2").Output;
        t = net.AddDeconvolution(t, 4, new(2, 2), TestNetworks.Weights(8 * 4 * 4, 8, 5), TestData.Float(4, 6, 0.2f), stride: new(2, 2), name: "deconv3").Output;
        t = net.AddActivation(t, ActivationKind.LeakyRelu, 0.1f, name: "leaky3").Output;
        t = net.AddConvolution(t, 4, new(3, 3), TestNetworks.Weights(4 * 4 * 9, 36, 7), null, name: "conv4").Output;
        t = net.AddActivation(t, ActivationKind.Clip, -0.5f, 1.5f, name: "clip4").Output;
        t = net.AddFlatten(t, "flatten").Output;
        t = net.AddFullyConnected(t, 12, TestNetworks.Weights(12 * 4 * 6 * 6, 144, 8), TestData.Float(12, 9, 0.1f), "fc5").Output;
        t = net.AddActivation(t, ActivationKind.Relu, name: "relu5").Output;
        t = net.AddFullyConnected(t, 7, TestNetworks.Weights(7 * 12, 12, 10), TestData.Float(7, 11, 0.1f), "fc6").Output;
        net.MarkOutput(net.AddSoftMax(t, "prob").Output);
        var inputs = TestNetworks.Inputs(net, 3);
        TestNetworks.SetRanges(net, inputs, 3);
        return (net, inputs);
    }
}
