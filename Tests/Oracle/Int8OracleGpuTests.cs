using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Oracle;

/// <summary>The INT8 engine on CUDA against the independent fake-quantized oracle: outputs and step by step.</summary>
public sealed class Int8OracleGpuTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Gpu")]
    public void All_layer_types_network_on_gpu_matches_the_oracle() => Int8OracleTests.Check(output, LayerCoverageTests.Wide(), 2, "cuda", "wide");

    [Fact]
    [Trait("Category", "Gpu")]
    public void Small_cnn_on_gpu_matches_the_oracle() => Int8OracleTests.Check(output, TestNetworks.SmallCnn(), 4, "cuda", "small CNN");

    [Fact]
    [Trait("Category", "Gpu")]
    public void Synthetic_resnet18_on_gpu_matches_the_oracle() => Int8OracleTests.Check(output, SyntheticModels.ResNet18(64, 100), 2, "cuda", "resnet18 64²");

    [Fact]
    [Trait("Category", "Gpu")]
    public void One_corrupted_convolution_scale_fails_the_oracle_on_gpu()
    {
        var conv = OracleHarness.Int8Steps(LayerCoverageTests.Wide(), 2, LayerType.Convolution)[0];
        var steps = OracleHarness.MeasureSteps(LayerCoverageTests.Wide(), 2, "cuda", OracleHarness.CorruptOneScale(conv, ScaleFault.ReadInput, 1.5f));
        Assert.Contains(steps, d => !OracleCheck.Step.Admit(d));
    }
}
