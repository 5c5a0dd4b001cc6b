using System.Security.Cryptography;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// TF32 for FP32 layers (issue 15, <see cref="BuilderConfig.Tf32"/>): on the tensor cores an FP32 convolution rounds its
/// operands to TF32 and sums in FP32; the CPU accelerator's mma.sync emulation computes <see cref="FloatGemmReference"/>'s
/// TF32 sums bit for bit, within the TF32 bound of FP32; strict mode (and the CPU backends) compute what they computed
/// before; the switch goes through the engine file (files before version 8: strict).
/// </summary>
public sealed class Tf32EngineTests
{
    private const int K = 12;

    private static BuilderConfig Config(int batch, bool tf32) => new() { MaxBatchSize = batch, Tf32 = tf32 };

    /// <summary>conv 3×3 pad 1 (C = 5, 4×3 image, K = 12) + ReLU, fused.</summary>
    private static NetworkDefinition Conv()
    {
        var net = new NetworkDefinition("conv");
        var x = net.AddInput("data", new TensorDims(5, 4, 3));
        var c = net.AddConvolution(x, K, 3, TestNetworks.Weights(K * 5 * 9, 45, 3), TestData.Float(K, 4, 0.2f), padding: 1, name: "conv").Output;
        net.MarkOutput(net.AddActivation(c, ActivationKind.Relu, name: "relu").Output);
        return net;
    }

    private static Engine BuildWithEmulatedTf32(NetworkDefinition net, BuilderConfig config, bool implicitConv = false) =>
        EmulatedTensorCores.Build(net, config, FloatMmaInput.Tf32, implicitConv);

    [Fact]
    public void Tf32_convolution_on_the_emulated_tensor_cores_is_the_tf32_reference_and_within_the_tf32_bound_of_fp32()
    {
        // The CUDA path (im2col floats + the TF32 GEMM) on the CPU accelerator's mma.sync emulation (20 s on 2 cores).
        var net = Conv();
        var inputs = TestNetworks.Inputs(net, 1);
        using var engine = BuildWithEmulatedTf32(net, Config(1, tf32: true));
        var step = engine.Layers.Single(l => l.Type == LayerType.Convolution);
        Assert.Equal("TF32", step.Precision);
        Assert.StartsWith("im2col_f32+gemm_tf32", step.KernelName, StringComparison.Ordinal);
        Assert.Contains("TF32", engine.Describe(), StringComparison.Ordinal);
        var actual = TestNetworks.Run(engine, inputs, 1)["relu"];

        // The GEMM operands as the step makes them: A = im2col of the NHWC input, B = KRSC weights, rows of kp floats.
        var conv = (ConvolutionLayer)net.Layers.Single(l => l.Type == LayerType.Convolution);
        var p = new ConvProblem(1, 5, 4, 3, K, 3, 3, 1, 1, 1, 1);
        int kp = Im2ColFloat.Columns(p), m = p.P * p.Q;
        var a = Im2ColReference.Forward<float>(NchwToNhwc(inputs["data"], 5, 4 * 3), p, kp);
        var krsc = WeightLayout.KcrsToKrsc<float>(conv.Weights.ToArray(), K, 5, 3, 3);
        var b = new float[K * kp];
        for (var k = 0; k < K; k++)
        {
            Array.Copy(krsc, k * 45, b, k * kp, 45);
        }

        var gemm = new GemmProblem(m, K, kp);
        var expected = FloatGemmReference.Finish(FloatGemmReference.Tf32(a, b, gemm), K, conv.Bias.ToArray(), relu: true);
        var fp32 = PlanReference.Outputs(engine.Plan, inputs, 1)["relu"];
        var bound = FloatGemmReference.Tolerance(a, b, gemm);
        for (var i = 0; i < m; i++)
        {
            for (var k = 0; k < K; k++)
            {
                // NCHW output [k][i] against the GEMM's [i][k]: bit for bit with the emulation's order.
                float y = actual[(k * m) + i], e = expected[(i * K) + k], f = fp32[(k * m) + i];
                Assert.Equal(BitConverter.SingleToInt32Bits(e), BitConverter.SingleToInt32Bits(y));

                // |tf32 − fp32| ≤ 2^−10·Σ|a·b| (each operand within 2^−11 relatively, so each product within 2^−10 + 2^−22)
                // plus the FP32 accumulation bound of both sums (Tolerance = (K + 64)·2^−23·Σ|a·b|).
                var sum = bound[(i * K) + k] / ((kp + 64) * MathF.Pow(2, -23));
                Assert.True(Math.Abs(y - f) <= (MathF.Pow(2, -10) * sum) + bound[(i * K) + k], $"[{k}, {i}]: tf32 {y:R} vs fp32 {f:R}");
            }
        }
    }

    [Fact]
    public void Tf32_implicit_gemm_convolution_step_equals_the_im2col_step_bit_for_bit()
    {
        // C = 8: the CUDA path runs ConvFloat on the arena's NHWC floats (no im2col matrix, no pack). On the CPU
        // accelerator's emulation it sums the same products in the same order as im2col + the TF32 GEMM: equal bits.
        var net = new NetworkDefinition("conv8");
        var x = net.AddInput("data", new TensorDims(8, 5, 6));
        var c = net.AddConvolution(x, K, 3, TestNetworks.Weights(K * 8 * 9, 46, 3), TestData.Float(K, 5, 0.2f), padding: 1, name: "conv").Output;
        net.MarkOutput(net.AddActivation(c, ActivationKind.Relu, name: "relu").Output);
        var inputs = TestNetworks.Inputs(net, 2);
        Engine Build(bool implicitGemm) => BuildWithEmulatedTf32(net, Config(2, tf32: true), implicitGemm);

        using var im2col = Build(implicitGemm: false);
        using var implicitConv = Build(implicitGemm: true);
        Assert.StartsWith("im2col_f32+", im2col.Layers.Single(l => l.Type == LayerType.Convolution).KernelName, StringComparison.Ordinal);
        var step = implicitConv.Layers.Single(l => l.Type == LayerType.Convolution);
        Assert.StartsWith("conv_tf32tf32f32_nhwc_mma_implicit_gemm_64x64", step.KernelName, StringComparison.Ordinal);
        Assert.Equal("TF32", step.Precision);
        Assert.Equal(0, step.ScratchBytes);
        Assert.True(im2col.Layers.Single(l => l.Type == LayerType.Convolution).ScratchBytes > 0);
        var expected = TestNetworks.Run(im2col, inputs, 2)["relu"];
        var actual = TestNetworks.Run(implicitConv, inputs, 2)["relu"];
        Assert.Contains(expected, v => v != 0f);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"[{i}]: implicit {actual[i]:R} vs im2col {expected[i]:R}");
        }
    }

    [Theory]
    [InlineData(5.0, "strict")]
    [InlineData(0.5, "tf32")]
    public void With_timing_the_faster_of_tf32_and_strict_is_kept(double tf32StepMs, string kept)
    {
        // TF32 allowed, not imposed: a fixed timer says the TF32 convolution takes tf32StepMs, the FP32 kernel 1 ms.
        var net = Conv();
        var inputs = TestNetworks.Inputs(net, 2);
        var config = new BuilderConfig { MaxBatchSize = 2, Tf32 = true, TacticTiming = TacticTiming.On, TacticRepeats = 1, TimingCache = new TimingCache() };
        PrecisionTiming.Timer = (engine, batch) =>
            engine.Layers.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.Sum(l => l.Precision == "TF32" ? tf32StepMs : l.Type == LayerType.Convert ? 0.0 : 1.0));
        try
        {
            using var engine = BuildWithEmulatedTf32(net, config);
            var choice = engine.Tactics.Single(t => t.Layer == Tf32Timing.EngineChoice);
            Assert.Equal(kept, choice.Variant);
            Assert.Equal(tf32StepMs, choice.Candidates["tf32"]);
            Assert.Equal(1.0, choice.Candidates["strict"]);
            Assert.Equal(kept == "tf32", engine.Tf32);
            Assert.Equal(kept == "tf32" ? "TF32" : "FP32", engine.Layers.Single(l => l.Type == LayerType.Convolution).Precision);
            var fp32 = PlanReference.Outputs(engine.Plan, inputs, 2)["relu"];
            TestNetworks.Near(new Dictionary<string, float[]> { ["relu"] = fp32 }, TestNetworks.Run(engine, inputs, 2), "timed tf32 choice vs fp32", rtol: 1e-2f, atol: 1e-3f);
        }
        finally
        {
            PrecisionTiming.Timer = null;
        }
    }

    [Fact]
    public void Strict_fp32_runs_the_fp32_kernel_with_the_bits_of_before()
    {
        // With a TF32 tensor-core variant available (the emulation), Tf32 = false still makes the FP32 kernel step: the
        // same bits as the engine of before (no variant: what every FP32 engine on the CPU accelerator ran).
        var net = Conv();
        var inputs = TestNetworks.Inputs(net, 2);
        using var strict = BuildWithEmulatedTf32(net, Config(2, tf32: false));
        using var before = EngineBuilder.Build(net, Config(2, tf32: true), TestDevices.Cpu);
        Assert.False(strict.Tf32);
        Assert.All(strict.Layers, l => Assert.Equal("FP32", l.Precision));
        Assert.All(before.Layers, l => Assert.Equal("FP32", l.Precision));
        Assert.DoesNotContain(strict.Layers, l => l.KernelName.StartsWith("im2col_f32", StringComparison.Ordinal));
        Assert.Contains("strict fp32", strict.Describe(), StringComparison.Ordinal);
        TestNetworks.SameBits(TestNetworks.Run(before, inputs, 2), TestNetworks.Run(strict, inputs, 2), "strict fp32 vs before");
    }

    [Fact]
    public void The_cpu_backend_computes_fp32_whatever_the_switch()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        using var on = EngineBuilder.BuildCpu(net, Config(2, tf32: true));
        using var off = EngineBuilder.BuildCpu(net, Config(2, tf32: false));
        Assert.True(on.Tf32);
        Assert.All(on.Layers, l => Assert.NotEqual("TF32", l.Precision));
        TestNetworks.SameBits(TestNetworks.Run(off, inputs, 2), TestNetworks.Run(on, inputs, 2), "cpu backend tf32 on vs off");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_switch_goes_through_the_engine_file(bool tf32)
    {
        var net = TestNetworks.SmallCnn();
        using var engine = EngineBuilder.BuildCpu(net, Config(2, tf32));
        using var file = new MemoryStream();
        engine.Serialize(file);
        Assert.Equal(9, EngineSerializer.Version);
        Assert.Equal(EngineSerializer.Version, BitConverter.ToInt32(file.GetBuffer(), 8));
        file.Position = 0;
        using var loaded = Engine.DeserializeCpu(file);
        Assert.Equal(tf32, loaded.Tf32);
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SameBits(TestNetworks.Run(engine, inputs, 2), TestNetworks.Run(loaded, inputs, 2), "tf32 switch engine file");
    }

    [Fact]
    public void Engine_files_before_version_8_read_as_strict_fp32()
    {
        // A version 7 file is a version 8 file without the last byte (the switch): rewrite one so and read it.
        var net = TestNetworks.SmallCnn();
        using var engine = EngineBuilder.BuildCpu(net, Config(2, tf32: true));
        using var file = new MemoryStream();
        engine.Serialize(file);
        var bytes = file.ToArray();
        const int header = 8 + 4 + 8 + 32;
        Assert.Equal(1, bytes[^1]);
        var payload = bytes[header..^1];
        var v7 = new byte[header + payload.Length];
        bytes.AsSpan(0, 8).CopyTo(v7);
        BitConverter.GetBytes(7).CopyTo(v7, 8);
        BitConverter.GetBytes((long)payload.Length).CopyTo(v7, 12);
        SHA256.HashData(payload).CopyTo(v7, 20);
        payload.CopyTo(v7, header);
        using var old = Engine.DeserializeCpu(new MemoryStream(v7));
        Assert.False(old.Tf32);
        using var v3 = Engine.LoadCpu(Path.Combine(Onnx.OnnxFixtures.RepositoryRoot, "Tests", "Networks", "Fixtures", "float_requantize_v3.ilgpui8"));
        Assert.False(v3.Tf32);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void ResNet18_tf32_on_cuda_runs_the_tensor_cores_and_agrees_with_the_cpu_backend()
    {
        const int n = 4;
        var net = SyntheticModels.ResNet18(inputSize: 64, classes: 100);
        var fc = net.Layers.Last(l => l.Type == LayerType.FullyConnected);
        net.MarkOutput(fc.Output);
        var inputs = TestNetworks.Inputs(net, n, seed: 7);
        using var cuda = EngineBuilder.Build(net, Config(n, tf32: true), TestDevices.Cuda);
        using var strict = EngineBuilder.Build(net, Config(n, tf32: false), TestDevices.Cuda);
        using var cpu = EngineBuilder.BuildCpu(net, Config(n, tf32: true));
        Assert.All(cuda.Layers.Where(l => l.Type == LayerType.Convolution), l => Assert.Equal("TF32", l.Precision));
        // The stem (C = 3) im2col + the TF32 GEMM; every other convolution (C a multiple of 4) the implicit-GEMM one on the arena's floats.
        var convs = cuda.Layers.Where(l => l.Type == LayerType.Convolution).ToList();
        Assert.StartsWith("im2col_f32+", convs[0].KernelName, StringComparison.Ordinal);
        Assert.All(convs.Skip(1), l => Assert.StartsWith("conv_tf32tf32f32_nhwc_", l.KernelName, StringComparison.Ordinal));
        Assert.All(strict.Layers, l => Assert.NotEqual("TF32", l.Precision));
        var reference = TestNetworks.Run(cpu, inputs, n)[fc.Output.Name];
        var error = new QuantizationError();
        error.Add(reference, TestNetworks.Run(cuda, inputs, n)[fc.Output.Name]);
        TestContext.Current.SendDiagnosticMessage($"ResNet-18 TF32 CUDA vs FP32 CPU logits: cosine {error.Cosine:F7}, SQNR {error.SqnrDb:F1} dB");
        Assert.True(error.Cosine >= 0.9999, $"cosine {error.Cosine:F7}");
        Close.Equal(reference, TestNetworks.Run(strict, inputs, n)[fc.Output.Name], "ResNet-18 strict FP32 CUDA vs CPU", 1e-3f, 1e-4f);
        using var context = cuda.CreateExecutionContext();
        Assert.Contains(context.Profile(inputs, n).Layers, l => l.Precision == "TF32");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Small_cnn_tf32_on_cuda_is_within_the_tf32_tolerance_of_the_cpu_backend()
    {
        var net = SyntheticModels.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 16);
        using var cuda = EngineBuilder.Build(net, Config(16, tf32: true), TestDevices.Cuda);
        using var cpu = EngineBuilder.BuildCpu(net, Config(16, tf32: true));
        Assert.Contains(cuda.Layers, l => l.Precision == "TF32");
        TestNetworks.Near(TestNetworks.Run(cpu, inputs, 16), TestNetworks.Run(cuda, inputs, 16), "cuda tf32 vs cpu fp32", rtol: 1e-2f, atol: 1e-3f);
    }

    private static float[] NchwToNhwc(float[] x, int c, int hw)
    {
        var y = new float[x.Length];
        for (var ch = 0; ch < c; ch++)
        {
            for (var i = 0; i < hw; i++)
            {
                y[(i * c) + ch] = x[(ch * hw) + i];
            }
        }

        return y;
    }
}
