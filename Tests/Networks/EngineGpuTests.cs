using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>The engine tests on CUDA: the same reference pipeline, larger networks.</summary>
public sealed class EngineGpuTests
{
    [Fact]
    [Trait("Category", "Gpu")]
    public void Small_networks_on_gpu_match_the_references()
    {
        var device = TestDevices.Cuda;
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 4);
        using (var fp32 = TestNetworks.Build(net, 4, int8: false, device: device))
        {
            TestNetworks.Near(NetworkReference.Run(net, inputs, 4), TestNetworks.Run(fp32, inputs, 4), "small CNN fp32 on gpu");
        }

        TestNetworks.SetRanges(net, inputs, 4);
        using var int8 = TestNetworks.Build(net, 4, int8: true, device: device);
        using var unfused = TestNetworks.Build(net, 4, int8: true, fusion: false, device: device);
        var actual = TestNetworks.Run(int8, inputs, 4);
        TestNetworks.SameBits(PlanReference.Outputs(int8.Plan, inputs, 4), actual, "small CNN int8 on gpu vs reference pipeline");
        TestNetworks.SameBits(TestNetworks.Run(unfused, inputs, 4), actual, "small CNN int8 on gpu, fusion on vs off");
        using var cpu = TestNetworks.Build(net, 4, int8: true);
        TestNetworks.SameBits(TestNetworks.Run(cpu, inputs, 4), actual, "small CNN int8: gpu vs cpu accelerator");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void ResNet18_int8_on_gpu_equals_reference_pipeline_and_is_close_to_fp32()
    {
        var device = TestDevices.Cuda;
        var net = SyntheticModels.ResNet18(64, 100);
        var inputs = TestNetworks.Inputs(net, 2);
        var calibrator = new MaxAbsCalibrator([(inputs, 2)]);
        using var fp32 = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Tf32 = false }, device);
        using var int8 = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, Calibrator = calibrator }, device);
        Assert.All(int8.Layers, l => Assert.True(l.Int8 || l.Type == LayerType.Convert, $"{l.Name} is not INT8"));
        var f = TestNetworks.Run(fp32, inputs, 2);
        var q = TestNetworks.Run(int8, inputs, 2);
        TestNetworks.Near(NetworkReference.Run(net, inputs, 2), f, "resnet18 fp32 on gpu", 1e-3f, 1e-5f);
        TestNetworks.SameBits(PlanReference.Outputs(int8.Plan, inputs, 2), q, "resnet18 int8 on gpu vs reference pipeline");
        Int8CloseToFp32(f, q, 2, "resnet18 int8 vs fp32 on gpu");
    }

    /// <summary>
    /// INT8 probabilities against FP32 relative to their size: the same top-1 class for every item, cosine ≥ 0.999 and
    /// |p8 − p32| ≤ 0.1·p32 + 0.05/classes for every class (a 100-class softmax has mean probability 0.01: an absolute
    /// 0.05 would admit any answer). A wrong scale breaks these (see Oracle/Int8OracleTests' corrupted-scale cases).
    /// </summary>
    internal static void Int8CloseToFp32(IReadOnlyDictionary<string, float[]> fp32, IReadOnlyDictionary<string, float[]> int8, int n, string what)
    {
        foreach (var (name, f) in fp32)
        {
            var q = int8[name];
            var classes = f.Length / n;
            var d = Oracle.OracleCheck.Distance(name, [.. f.Select(v => (double)v)], q, 1.0 / classes, n);
            Assert.True(d.Top1 == 1 && d.Cosine >= 0.999, $"{what}: {d}");
            for (var i = 0; i < f.Length; i++)
            {
                Assert.True(Math.Abs(q[i] - f[i]) <= (0.1 * f[i]) + (0.05 / classes), $"{what}: '{name}'[{i}] = {q[i]}, fp32 {f[i]} ({d})");
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Concurrent_contexts_on_gpu_give_identical_outputs()
    {
        var device = TestDevices.Cuda;
        var net = SyntheticModels.ResNet18(32, 10);
        var inputs = TestNetworks.Inputs(net, 8);
        var calibrator = new MaxAbsCalibrator([(inputs, 8)]);
        using var engine = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 8, Int8 = true, Calibrator = calibrator }, device);
        var expected = TestNetworks.Run(engine, inputs, 8);
        var results = new IReadOnlyDictionary<string, float[]>[6];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            using var context = engine.CreateExecutionContext();
            for (var repeat = 0; repeat < 5; repeat++)
            {
                results[i] = context.Execute(inputs, 8);
            }
        });
        foreach (var r in results)
        {
            TestNetworks.SameBits(expected, r, "concurrent gpu context");
        }

        using var stream = new MemoryStream();
        engine.Serialize(stream);
        stream.Position = 0;
        using var loaded = Engine.Deserialize(stream, device);
        TestNetworks.SameBits(expected, TestNetworks.Run(loaded, inputs, 8), "deserialized on gpu");
    }
}
