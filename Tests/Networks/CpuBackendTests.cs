using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// The CPU backend runs the same plans as the ILGPU backends: INT8 bit-exact with the reference pipeline (and so with
/// the ILGPU CPU accelerator and CUDA) for every instruction-set variant, FP32 within float tolerance.
/// </summary>
public sealed class CpuBackendTests
{
    public static TheoryData<CpuIsa> Isas() => [.. Enum.GetValues<CpuIsa>()];

    private static Engine BuildCpu(NetworkDefinition net, int maxBatch, bool int8, CpuIsa? isa = null, bool fusion = true) =>
        EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = maxBatch, Int8 = int8, Fusion = fusion, CpuIsa = isa });

    [Theory]
    [MemberData(nameof(Isas))]
    public void Int8_small_cnn_equals_reference_pipeline_and_ilgpu_backend(CpuIsa isa)
    {
        Assert.SkipUnless(CpuIsaSupport.IsSupported(isa), $"{isa} is not supported here.");
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 3);
        TestNetworks.SetRanges(net, inputs, 3);
        using var engine = BuildCpu(net, 3, int8: true, isa);
        Assert.Equal("cpu", engine.BackendName);
        Assert.Equal(isa, engine.HostIsa);
        var actual = TestNetworks.Run(engine, inputs, 3);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 3), actual, $"cpu {isa} vs reference pipeline");
        using var ilgpu = TestNetworks.Build(net, 3, int8: true);
        Assert.Equal("ilgpu-cpu", ilgpu.BackendName);
        TestNetworks.SameBits(TestNetworks.Run(ilgpu, inputs, 3), actual, $"cpu {isa} vs ilgpu-cpu");
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Int8_every_layer_type_equals_reference_pipeline(CpuIsa isa)
    {
        Assert.SkipUnless(CpuIsaSupport.IsSupported(isa), $"{isa} is not supported here.");
        var net = LayerCoverageTests.Wide();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = BuildCpu(net, 2, int8: true, isa);
        using var unfused = BuildCpu(net, 2, int8: true, isa, fusion: false);
        var actual = TestNetworks.Run(engine, inputs, 2);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 2), actual, $"wide cpu {isa} vs reference pipeline");
        TestNetworks.SameBits(TestNetworks.Run(unfused, inputs, 2), actual, $"wide cpu {isa} fusion on vs off");
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Int8_fashion_shaped_layers_equal_reference_pipeline(CpuIsa isa)
    {
        // The CPU fast paths of issue 19 in one network: one-channel input (vector quantize, padded im2col of 3-byte runs),
        // 16-channel convolution (the 16-lane requantize rows), 2×2/2 max pooling (whole windows), 3×3/2 padded max
        // pooling over 35 channels (32 + a tail), a 7×7/2 three-channel stem, and a fully connected head at batch 1 and 3.
        Assert.SkipUnless(CpuIsaSupport.IsSupported(isa), $"{isa} is not supported here.");
        var net = new NetworkDefinition();
        var x = net.AddInput("x", new TensorDims(1, 13, 12));
        var c1 = net.AddConvolution(x, 16, 3, TestNetworks.Weights(16 * 9, 9, 1), TestData.Float(16, 2, 0.1f), padding: 1, name: "c1");
        var r1 = net.AddActivation(c1.Output, Kernels.Ops.ActivationKind.Relu, name: "r1");
        var p1 = net.AddPooling(r1.Output, PoolingType.Max, 2, name: "p1");
        var c2 = net.AddConvolution(p1.Output, 35, 3, TestNetworks.Weights(35 * 16 * 9, 144, 3), TestData.Float(35, 4, 0.1f), padding: 1, name: "c2");
        var p2 = net.AddPooling(c2.Output, PoolingType.Max, 3, stride: 2, padding: 1, name: "p2");
        var fc = net.AddFullyConnected(p2.Output, 10, TestNetworks.Weights(10 * 35 * 9, 35 * 9, 5), name: "fc");
        net.MarkOutput(fc.Output);
        var y = net.AddInput("y", new TensorDims(3, 17, 15));
        var stem = net.AddConvolution(y, 24, 7, TestNetworks.Weights(24 * 3 * 49, 147, 7), TestData.Float(24, 8, 0.1f), stride: 2, padding: 3, name: "stem");
        net.MarkOutput(stem.Output);
        foreach (var n in new[] { 1, 3 })
        {
            var inputs = TestNetworks.Inputs(net, n);
            TestNetworks.SetRanges(net, inputs, n);
            using var engine = BuildCpu(net, n, int8: true, isa);
            TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, n), TestNetworks.Run(engine, inputs, n), $"fashion-shaped cpu {isa} batch {n}");
        }
    }

    [Fact]
    public void Int8_resnet_with_residual_sums_equals_reference_pipeline()
    {
        var net = SyntheticModels.ResNet18(32, 10);
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, FuseResidualSums = true });
        Assert.Contains(engine.Layers, l => l.Int8 && l.FusedResidualSum);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, 2), TestNetworks.Run(engine, inputs, 2), "resnet18-32 cpu int8 vs reference pipeline");
    }

    [Fact]
    public void Fp32_engines_match_the_layer_by_layer_reference()
    {
        var wide = LayerCoverageTests.Wide();
        var inputs = TestNetworks.Inputs(wide, 2);
        using var engine = BuildCpu(wide, 2, int8: false);
        TestNetworks.Near(NetworkReference.Run(wide, inputs, 2), TestNetworks.Run(engine, inputs, 2), "wide cpu fp32", 2e-4f, 2e-5f);

        var small = TestNetworks.SmallCnn();
        var smallInputs = TestNetworks.Inputs(small, 3);
        using var cnn = BuildCpu(small, 3, int8: false);
        TestNetworks.Near(NetworkReference.Run(small, smallInputs, 3), TestNetworks.Run(cnn, smallInputs, 3), "small cnn cpu fp32");
    }

    [Fact]
    public void Default_build_without_cuda_is_the_cpu_backend()
    {
        Assert.SkipWhen(Kernels.Runtime.Int8Device.CudaAvailable, "A CUDA device is present: the default is cuda.");
        var net = TestNetworks.SmallCnn();
        using var engine = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 1 });
        Assert.Equal("cpu", engine.BackendName);
        Assert.StartsWith("backend cpu", engine.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Save_load_profile_and_concurrent_contexts_work_as_on_the_accelerator()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var engine = BuildCpu(net, 2, int8: true);
        var expected = TestNetworks.Run(engine, inputs, 2);
        using var stream = new MemoryStream();
        engine.Serialize(stream);
        stream.Position = 0;
        using var loaded = Engine.DeserializeCpu(stream);
        Assert.Equal("cpu", loaded.BackendName);
        TestNetworks.SameBits(expected, TestNetworks.Run(loaded, inputs, 2), "cpu engine after save/load");

        var results = new IReadOnlyDictionary<string, float[]>[4];
        Parallel.For(0, results.Length, i => results[i] = TestNetworks.Run(engine, inputs, 2));
        foreach (var r in results)
        {
            TestNetworks.SameBits(expected, r, "concurrent cpu contexts");
        }

        using var context = engine.CreateExecutionContext();
        var profile = context.Profile(inputs, 2);
        Assert.Equal(engine.Layers.Count + 2, profile.Layers.Count);
        Assert.All(profile.Layers, l => Assert.True(l.Milliseconds >= 0));
    }

    [Fact]
    public void Environment_variable_forces_the_variant_when_the_config_does_not()
    {
        var before = Environment.GetEnvironmentVariable(CpuIsaSupport.ForceEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(CpuIsaSupport.ForceEnvironmentVariable, "scalar");
            using var engine = BuildCpu(TestNetworks.SmallCnn(), 1, int8: false);
            Assert.Equal(CpuIsa.Scalar, engine.HostIsa);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CpuIsaSupport.ForceEnvironmentVariable, before);
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Int8_cpu_backend_equals_the_cuda_engine_bit_for_bit()
    {
        var device = TestDevices.Cuda;
        var net = LayerCoverageTests.Wide();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        using var cuda = TestNetworks.Build(net, 2, int8: true, device: device);
        Assert.Equal("cuda", cuda.BackendName);
        using var cpu = BuildCpu(net, 2, int8: true);
        TestNetworks.SameBits(TestNetworks.Run(cuda, inputs, 2), TestNetworks.Run(cpu, inputs, 2), "wide int8: cuda vs cpu backend");
    }

    // The processor is made to look older (CpuIsaSupport.LimitTo, this test's flow only), so the refusals run on
    // every machine, those with every variant included.
    [Theory]
    [InlineData(CpuIsa.Avx2)]
    [InlineData(CpuIsa.Scalar)]
    public void Unsupported_forced_variant_is_refused_before_building(CpuIsa best)
    {
        var hostHasBest = CpuIsaSupport.IsSupported(best);
        using (CpuIsaSupport.LimitTo(best))
        {
            foreach (var isa in Enum.GetValues<CpuIsa>().Where(i => i < best))
            {
                Assert.False(CpuIsaSupport.IsSupported(isa));
                var e = Assert.Throws<NotSupportedException>(() => BuildCpu(TestNetworks.SmallCnn(), 1, int8: false, isa));
                Assert.Contains(isa.ToString(), e.Message, StringComparison.Ordinal);
                Assert.Throws<NotSupportedException>(() => new PackedB(new sbyte[8], 1, 8, isa));
            }

            if (hostHasBest)
            {
                Assert.Equal(best, CpuIsaSupport.Best());
                using var engine = BuildCpu(TestNetworks.SmallCnn(), 1, int8: true);
                Assert.Equal(best, engine.HostIsa);
            }
        }

        Assert.Equal(hostHasBest, CpuIsaSupport.IsSupported(best));
    }
}
