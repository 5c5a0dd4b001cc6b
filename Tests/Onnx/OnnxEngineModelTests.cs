using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>The shipped Fashion-MNIST models loaded through <see cref="OnnxNetworkLoader"/> and run by the engine.</summary>
public class OnnxEngineModelTests
{
    [Fact]
    public void FashionCnn_loads_with_onnx_tensor_names()
    {
        var model = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn);
        Assert.Equal(64, model.ModelSha256.Length);
        Assert.Equal("input", Assert.Single(model.Network.Inputs).Name);
        Assert.Equal("probabilities", Assert.Single(model.Network.Outputs).Name);
        foreach (var layer in model.Imported.Layers.Where(l => l.Spec is not ConstantSpec))
        {
            Assert.NotNull(model.Network.FindTensor(layer.Output.Name));
        }
        Assert.Empty(model.QdqRanges);
    }

    [Fact]
    public void FashionCnnQdq_sets_the_qdq_ranges_on_the_network_tensors()
    {
        var model = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnnQdq);
        Assert.True(model.IsQuantized);
        foreach (var (name, threshold) in model.QdqRanges)
        {
            Assert.Equal(threshold, model.Network.FindTensor(name)?.DynamicRange);
        }
        Assert.Contains(model.Notes, n => n.Contains("QDQ int8 weights", StringComparison.Ordinal) || n.Contains("engine's INT8 weights", StringComparison.Ordinal));
    }

    [Fact]
    public void FashionCnn_fp32_engine_equals_the_reference_interpreter()
    {
        const int n = 8;
        var input = OnnxFixtures.FashionInput(n);
        var model = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn);
        var expected = OnnxReference.Run(model.Imported, new Dictionary<string, ReferenceTensor> { ["input"] = input })["probabilities"].Data;

        using var engine = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = n }, TestDevices.Cpu);
        using var context = engine.CreateExecutionContext();
        var actual = context.Execute(input.Data, n);

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"probabilities[{i}]: engine {actual[i]}, reference {expected[i]}");
        }
    }
}
