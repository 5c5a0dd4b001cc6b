using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.IntegerOnly;

/// <summary>
/// The committed <c>Models/fashion_cnn.onnx</c> as an integer-only INT8 engine (issue 20: "bit-exact CPU vs GPU"), ranges
/// from the FP32 reference on shipped test images: the ILGPU kernels (on the CPU accelerator here, on CUDA on the GPU
/// machine), the CPU backend and the plan reference give the same bits.
/// </summary>
public sealed class IntegerOnlyFashionTests
{
    [Fact]
    public void Fashion_cnn_integer_only_on_the_cpu_accelerator_is_bit_exact_with_the_cpu_backend() =>
        Check(TestDevices.Cpu, 2);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Fashion_cnn_integer_only_on_cuda_is_bit_exact_with_the_cpu_backend() =>
        Check(TestDevices.Cuda, 64);

    private static void Check(Int8Device device, int n)
    {
        var net = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn).Network;
        var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal) { [net.Inputs[0].Name] = OnnxFixtures.FashionTestImages(n).Images };
        TestNetworks.SetRanges(net, inputs, n);
        using var kernels = EngineBuilder.Build(net, IntegerOnlyEngineTests.Config(n), device);
        using var cpu = EngineBuilder.BuildCpu(net, IntegerOnlyEngineTests.Config(n));
        Assert.True(kernels.IntegerOnly && cpu.IntegerOnly);
        var expected = PlanReference.Outputs(cpu.Plan, inputs, n);
        TestNetworks.SameBits(expected, TestNetworks.Run(cpu, inputs, n), "cpu backend vs reference");
        TestNetworks.SameBits(expected, TestNetworks.Run(kernels, inputs, n), $"{device.Kind} kernels vs reference");
    }
}
