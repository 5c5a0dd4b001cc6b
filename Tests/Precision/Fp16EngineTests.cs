using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// FP16 engines (issue 15): half values stored, FP32 arithmetic, weights rounded to half. Every FP16 step's output is a
/// half; the CPU backend and the ILGPU kernels equal the plan reference within a half ulp per value on one layer and
/// within a small tolerance through a network (accumulation orders differ in the last float bits); FP16 stays close to
/// FP32 on Fashion-MNIST (top-1) and on ResNet-18 (cosine of the logits).
/// </summary>
public sealed class Fp16EngineTests
{
    private static BuilderConfig Config(BuilderPrecision mode, int batch) => new() { MaxBatchSize = batch, Mode = mode };

    [Fact]
    public void Fp16_convolution_equals_the_reference_within_a_half_ulp_on_both_cpu_backends()
    {
        var net = new NetworkDefinition("conv");
        var x = net.AddInput("data", new TensorDims(5, 9, 7));
        net.MarkOutput(net.AddConvolution(x, 12, 3, TestNetworks.Weights(12 * 5 * 9, 45, 3), TestData.Float(12, 4, 0.2f), padding: 1, name: "conv").Output);
        var inputs = TestNetworks.Inputs(net, 3);
        foreach (var engine in new[] { EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, 3)), EngineBuilder.Build(net, Config(BuilderPrecision.Fp16, 3), TestDevices.Cpu) })
        {
            using (engine)
            {
                Assert.All(engine.Layers.Where(l => l.Type != LayerType.Convert), l => Assert.Equal("FP16", l.Precision));
                var expected = PlanReference.Outputs(engine.Plan, inputs, 3)["conv"];
                var actual = TestNetworks.Run(engine, inputs, 3)["conv"];
                for (var i = 0; i < expected.Length; i++)
                {
                    Assert.Equal(actual[i], HalfConvert.Round(actual[i]));
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= HalfUlp(expected[i]), $"{engine.BackendName} [{i}]: {actual[i]:R} vs {expected[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void Fp16_tensor_core_convolution_equals_the_reference_within_a_half_ulp()
    {
        // The CUDA path (im2col to halves + GemmFloat.Fp16) on the CPU accelerator's mma.sync emulation (4 s on the 2-core
        // machine since the emulated FP16 MMA is no longer inlined; 130 s before); the GPU tests run networks on it.
        var net = new NetworkDefinition("conv");
        var x = net.AddInput("data", new TensorDims(5, 4, 3));
        var c = net.AddConvolution(x, 12, 3, TestNetworks.Weights(12 * 5 * 9, 45, 3), TestData.Float(12, 4, 0.2f), padding: 1, name: "conv").Output;
        net.MarkOutput(net.AddActivation(c, Kernels.Ops.ActivationKind.Relu, name: "relu").Output);
        var inputs = TestNetworks.Inputs(net, 1);
        using (var engine = EmulatedTensorCores.Build(net, Config(BuilderPrecision.Fp16, 1), Kernels.Gemm.FloatMmaInput.Fp16, implicitConv: false))
        {
            Assert.StartsWith("im2col_f16+", engine.Layers.Single(l => l.Type == LayerType.Convolution).KernelName, StringComparison.Ordinal);
            var expected = PlanReference.Outputs(engine.Plan, inputs, 1);
            var actual = TestNetworks.Run(engine, inputs, 1);
            foreach (var (name, e) in expected)
            {
                for (var i = 0; i < e.Length; i++)
                {
                    Assert.Equal(actual[name][i], HalfConvert.Round(actual[name][i]));
                    Assert.True(Math.Abs(actual[name][i] - e[i]) <= HalfUlp(e[i]), $"{name}[{i}]: {actual[name][i]:R} vs {e[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void Fp16_rgb_stem_folds_into_the_implicit_gemm_within_a_half_ulp_of_the_reference()
    {
        // A 7×7/2 stem on 3 channels (odd image): the CUDA path folds the input's halves space-to-depth (2×2 → 12 halves,
        // 16 with zeros) and runs the stride-1 4×4 implicit GEMM on them (no im2col matrix); on the CPU accelerator's
        // emulated tensor cores, batches 2 and 1.
        var net = new NetworkDefinition("stem");
        var x = net.AddInput("data", new TensorDims(3, 15, 13));
        var c = net.AddConvolution(x, 16, 7, TestNetworks.Weights(16 * 3 * 49, 147, 5), TestData.Float(16, 6, 0.2f), stride: 2, padding: 3, name: "stem").Output;
        net.MarkOutput(net.AddActivation(c, Kernels.Ops.ActivationKind.Relu, name: "relu").Output);
        using (var engine = EmulatedTensorCores.Build(net, Config(BuilderPrecision.Fp16, 2), Kernels.Gemm.FloatMmaInput.Fp16, implicitConv: true))
        {
            var stem = engine.Layers.Single(l => l.Type == LayerType.Convolution);
            // The stem alone reads the engine input: it folds the float input into halves itself (the convert fused).
            Assert.StartsWith("stem_fold_f16 (input convert fused) 4x4x16+conv_f16f16f32_nhwc_mma_implicit_gemm_64x64", stem.KernelName, StringComparison.Ordinal);
            foreach (var n in new[] { 2, 1 })
            {
                var inputs = TestNetworks.Inputs(net, n, seed: 40 + n);
                var expected = PlanReference.Outputs(engine.Plan, inputs, n)["relu"];
                var actual = TestNetworks.Run(engine, inputs, n)["relu"];
                Assert.Contains(expected, v => v > 0f);
                for (var i = 0; i < expected.Length; i++)
                {
                    Assert.Equal(actual[i], HalfConvert.Round(actual[i]));
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= HalfUlp(expected[i]), $"batch {n} [{i}]: {actual[i]:R} vs {expected[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void Fp16_implicit_gemm_convolution_step_equals_the_im2col_step_bit_for_bit()
    {
        // C = 8: the CUDA path packs the input to halves and runs ConvFloat (no im2col matrix). On the CPU accelerator's
        // emulation it sums the same products in the same order as im2col + GemmFloat.Fp16, so the outputs are equal
        // bit for bit (6 s on the 2-core machine).
        var net = new NetworkDefinition("conv8");
        var x = net.AddInput("data", new TensorDims(8, 5, 6));
        var c = net.AddConvolution(x, 12, 3, TestNetworks.Weights(12 * 8 * 9, 46, 3), TestData.Float(12, 5, 0.2f), padding: 1, name: "conv").Output;
        net.MarkOutput(net.AddActivation(c, Kernels.Ops.ActivationKind.Relu, name: "relu").Output);
        var inputs = TestNetworks.Inputs(net, 2);
        Engine Build(bool implicitGemm) => EmulatedTensorCores.Build(net, Config(BuilderPrecision.Fp16, 2), Kernels.Gemm.FloatMmaInput.Fp16, implicitGemm);

        using var im2col = Build(implicitGemm: false);
        using var implicitConv = Build(implicitGemm: true);
        Assert.StartsWith("im2col_f16+", im2col.Layers.Single(l => l.Type == LayerType.Convolution).KernelName, StringComparison.Ordinal);
        Assert.StartsWith("conv_f16f16f32_nhwc_mma_implicit_gemm_64x64", implicitConv.Layers.Single(l => l.Type == LayerType.Convolution).KernelName, StringComparison.Ordinal);
        var expected = TestNetworks.Run(im2col, inputs, 2);
        var actual = TestNetworks.Run(implicitConv, inputs, 2);
        foreach (var (name, e) in expected)
        {
            Assert.Contains(e, v => v != 0f);
            for (var i = 0; i < e.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(e[i]) == BitConverter.SingleToInt32Bits(actual[name][i]), $"{name}[{i}]: implicit {actual[name][i]:R} vs im2col {e[i]:R}");
            }
        }
    }

    [Fact]
    public void Fp16_small_cnn_on_the_cpu_accelerator_and_the_cpu_backend_agree_with_the_reference()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 4);
        using var cpu = EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, 4));
        using var kernels = EngineBuilder.Build(net, Config(BuilderPrecision.Fp16, 4), TestDevices.Cpu);
        var expected = PlanReference.Outputs(cpu.Plan, inputs, 4);
        TestNetworks.Near(expected, TestNetworks.Run(cpu, inputs, 4), "cpu backend", rtol: 2e-3f, atol: 1e-4f);
        TestNetworks.Near(expected, TestNetworks.Run(kernels, inputs, 4), "cpu accelerator", rtol: 2e-3f, atol: 1e-4f);
        Assert.All(TestNetworks.Run(cpu, inputs, 4)["prob"], v => Assert.Equal(v, HalfConvert.Round(v)));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Fp16_small_cnn_on_cuda_agrees_with_the_cpu_backend()
    {
        var net = SyntheticModels.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 16);
        using var cuda = EngineBuilder.Build(net, Config(BuilderPrecision.Fp16, 16), TestDevices.Cuda);
        using var cpu = EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, 16));
        TestNetworks.Near(TestNetworks.Run(cpu, inputs, 16), TestNetworks.Run(cuda, inputs, 16), "cuda vs cpu fp16", rtol: 2e-3f, atol: 1e-4f);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void ResNet18_fp16_on_cuda_runs_the_tensor_cores_and_agrees_with_the_cpu_backend()
    {
        const int n = 4;
        var net = SyntheticModels.ResNet18(inputSize: 64, classes: 100);
        var fc = net.Layers.Last(l => l.Type == LayerType.FullyConnected);
        net.MarkOutput(fc.Output);
        var inputs = TestNetworks.Inputs(net, n, seed: 7);
        using var cuda = EngineBuilder.Build(net, Config(BuilderPrecision.Fp16, n), TestDevices.Cuda);
        using var cpu = EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, n));
        // The stem (C = 3) folds into the implicit GEMM; every convolution with C a multiple of 8 runs the implicit GEMM
        // on the arena's halves (no pack).
        Assert.All(cuda.Layers.Where(l => l.Type == LayerType.Convolution), l => Assert.True(l.KernelName.StartsWith("stem_fold_f16 ", StringComparison.Ordinal) || l.KernelName.StartsWith("conv_f16f16f32_nhwc_", StringComparison.Ordinal), l.KernelName));
        Assert.True(cuda.Layers.Count(l => l.KernelName.StartsWith("conv_f16f16f32_nhwc_", StringComparison.Ordinal)) >= 15, "ResNet-18's 19 convolutions after the stem should run the implicit GEMM");

        // Tactic timing (on by default on CUDA) chose among the FP16 convolutions, each choice one that can run its layer.
        var fp16Choices = cuda.Tactics.Where(t => t.Variant.StartsWith("conv_f16f16f32_nhwc_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(fp16Choices);
        Assert.All(fp16Choices, c => Assert.True(c.FromCache || c.Candidates.ContainsKey(c.Variant), $"{c.Layer}: {c.Variant}"));
        Assert.Contains(cuda.Layers, l => l.KernelName.EndsWith("[timed]", StringComparison.Ordinal) && l.KernelName.Contains("f16f16f32", StringComparison.Ordinal));
        var error = new QuantizationError();
        error.Add(TestNetworks.Run(cpu, inputs, n)[fc.Output.Name], TestNetworks.Run(cuda, inputs, n)[fc.Output.Name]);
        TestContext.Current.SendDiagnosticMessage($"ResNet-18 FP16 CUDA vs CPU logits: cosine {error.Cosine:F7}, SQNR {error.SqnrDb:F1} dB");
        Assert.True(error.Cosine >= 0.99999, $"cosine {error.Cosine:F7}");
    }

    [Fact]
    public void Fashion_cnn_fp16_top1_is_within_0_05_points_of_fp32()
    {
        const int n = 3000, batch = 500;
        var net = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn).Network;
        var (images, labels) = OnnxFixtures.FashionTestImages(n);
        double Top1(BuilderPrecision mode)
        {
            using var engine = EngineBuilder.BuildCpu(net, Config(mode, batch));
            using var context = engine.CreateExecutionContext();
            var classes = net.Outputs[0].Dims.Volume;
            var correct = 0;
            for (var b = 0; b < n; b += batch)
            {
                var scores = context.Execute(images.AsSpan(b * 784, batch * 784).ToArray(), batch);
                for (var i = 0; i < batch; i++)
                {
                    var row = scores.AsSpan(i * (int)classes, (int)classes);
                    correct += row.IndexOf(MaxOf(row)) == labels[b + i] ? 1 : 0;
                }
            }

            return 100.0 * correct / n;
        }

        double fp32 = Top1(BuilderPrecision.Fp32), fp16 = Top1(BuilderPrecision.Fp16);
        TestContext.Current.SendDiagnosticMessage($"Fashion CNN top-1 on {n} images: FP32 {fp32:F2} %, FP16 {fp16:F2} %");
        Assert.True(Math.Abs(fp32 - fp16) <= 0.05, $"FP32 {fp32:F3} %, FP16 {fp16:F3} %");
    }

    [Fact]
    public void ResNet18_fp16_logits_have_cosine_at_least_0_9999_with_fp32()
    {
        const int n = 2;
        var net = SyntheticModels.ResNet18(inputSize: 64, classes: 100);
        var fc = net.Layers.Last(l => l.Type == LayerType.FullyConnected);
        net.MarkOutput(fc.Output);
        var inputs = TestNetworks.Inputs(net, n, seed: 7);
        using var fp32 = EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp32, n));
        using var fp16 = EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, n));
        var a = TestNetworks.Run(fp32, inputs, n)[fc.Output.Name];
        var b = TestNetworks.Run(fp16, inputs, n)[fc.Output.Name];
        var error = new QuantizationError();
        error.Add(a, b);
        TestContext.Current.SendDiagnosticMessage($"ResNet-18 (64×64) FP16 vs FP32 logits: cosine {error.Cosine:F6}, SQNR {error.SqnrDb:F1} dB");
        Assert.True(error.Cosine >= 0.9999, $"cosine {error.Cosine:F6}");
        Assert.Contains(fp16.Layers, l => l.Type == LayerType.Convolution && l.Precision == "FP16");
    }

    [Fact]
    public void Fp16_engine_file_round_trip_keeps_precisions_and_bits()
    {
        var net = TestNetworks.SmallCnn();
        var config = Config(BuilderPrecision.Fp32, 2);
        config.LayerPrecisions["conv2"] = LayerPrecision.Half;
        config.LayerPrecisions["fc"] = LayerPrecision.Half;
        using var engine = EngineBuilder.BuildCpu(net, config);
        using var file = new MemoryStream();
        engine.Serialize(file);
        Assert.Equal(EngineSerializer.Version, BitConverter.ToInt32(file.GetBuffer(), 8));
        file.Position = 0;
        using var loaded = Engine.DeserializeCpu(file);
        Assert.Equal(engine.Layers.Select(l => (l.Name, l.Precision)), loaded.Layers.Select(l => (l.Name, l.Precision)));
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SameBits(TestNetworks.Run(engine, inputs, 2), TestNetworks.Run(loaded, inputs, 2), "fp16 engine file");
    }

    [Fact]
    public void A_per_layer_fp16_override_runs_that_layer_in_fp16_with_a_rounding_step_before_it()
    {
        var net = TestNetworks.SmallCnn();
        var config = Config(BuilderPrecision.Fp32, 2);
        config.LayerPrecisions["conv2"] = LayerPrecision.Half;
        using var engine = EngineBuilder.BuildCpu(net, config);
        var precisions = engine.Layers.ToDictionary(l => l.Name, l => l.Precision);
        Assert.Equal("FP16", precisions["conv2"]);
        Assert.Equal("FP32", precisions["conv1"]);
        Assert.Equal("FP32", precisions["fc"]);
        var conv2 = engine.Plan.Nodes.Single(n => n.Name == "conv2");
        Assert.Equal(LayerType.Convert, engine.Plan.Producer(conv2.Inputs[0])!.Layer.Type);
        Assert.Contains("FP16", engine.Describe(), StringComparison.Ordinal);
        var weights = ((ConvolutionLayer)conv2.Layer).Weights.ToArray();
        Assert.All(weights, w => Assert.Equal(w, HalfConvert.Round(w)));
        using var context = engine.CreateExecutionContext();
        var profile = context.Profile(TestNetworks.Inputs(net, 2), 2);
        Assert.Equal("FP16", profile.Layers.First(l => l.Name == "conv2").Precision);
    }

    [Fact]
    public void Best_runs_int8_where_ranges_are_known_and_fp16_elsewhere()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        var config = Config(BuilderPrecision.Best, 2);
        Assert.True(config.Int8 && config.Fp16);
        config.LayerPrecisions["fc"] = LayerPrecision.Float;
        config.LayerPrecisions["pool2"] = LayerPrecision.Half;
        using var engine = EngineBuilder.BuildCpu(net, config);
        var precisions = engine.Layers.ToDictionary(l => l.Name, l => l.Precision);
        Assert.Equal("INT8", precisions["conv1"]);
        Assert.Equal("FP16", precisions["pool2"]);
        Assert.Equal("FP32", precisions["fc"]);
        TestNetworks.Near(PlanReference.Outputs(engine.Plan, inputs, 2), TestNetworks.Run(engine, inputs, 2), "best vs reference", rtol: 2e-3f, atol: 1e-4f);
        Assert.Equal(BuilderPrecision.Int8, new BuilderConfig { Int8 = true }.Mode);
        Assert.Equal(BuilderPrecision.Fp16, new BuilderConfig { Fp16 = true }.Mode);
    }

    /// <summary>The spacing of halves at |v|: 2^(e − 10) for a normal half of exponent e, 2^−24 below 2^−14.</summary>
    private static float HalfUlp(float v)
    {
        var a = Math.Abs(v);
        return a < 6.1035156E-05f ? 5.9604645E-08f : MathF.Pow(2, MathF.Floor(MathF.Log2(a)) - 10);
    }

    private static float MaxOf(ReadOnlySpan<float> row)
    {
        var max = row[0];
        foreach (var v in row)
        {
            max = Math.Max(max, v);
        }

        return max;
    }
}
