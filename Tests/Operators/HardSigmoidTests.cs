using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using ILGPUInt8.Layers.Operators;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Operators;

/// <summary>
/// The HardSigmoid operator (added through Layers/Operators/HardSigmoid/ alone): the ONNX import, the reference, the
/// FP32 engine on the ILGPU CPU accelerator and on the CPU backend, an engine file round trip, and an INT8 network that
/// runs it in float between INT8 neighbours, all against y = max(0, min(1, alpha·x + beta)).
/// </summary>
public sealed class HardSigmoidTests
{
    private const float Alpha = 0.3f;
    private const float Beta = 0.4f;

    [Fact]
    public void Onnx_node_runs_like_the_formula_on_both_backends_and_after_a_round_trip()
    {
        // Values from −4 to 4 cross both knees (x = −4/3 and x = 2); exact knees and zero included.
        var x = Random(2 * 3 * 4 * 5, seed: 7).Select(v => v * 4f).ToArray();
        x[0] = -4f / 3f;
        x[1] = 2f;
        x[2] = 0f;
        var model = Model(13, [Node("HardSigmoid", ["x"], ["y"], Float("alpha", Alpha), Float("beta", Beta))], [Value("x", 2, 3, 4, 5)], [Value("y", 2, 3, 4, 5)]);
        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "hardsigmoid");
        Assert.Contains("HardSigmoid", OnnxImporter.SupportedOperators);
        Assert.IsType<HardSigmoidLayer>(loaded.Network.FindLayer("y"));

        var expected = x.Select(v => (float)Math.Clamp((Alpha * (double)v) + Beta, 0d, 1d)).ToArray();
        var reference = OnnxReference.Run(loaded.Imported, new Dictionary<string, ReferenceTensor> { ["x"] = new([2, 3, 4, 5], x) })["y"].Data;
        Assert.Equal(expected, reference);

        var config = new BuilderConfig { MaxBatchSize = 2 };
        using var engines = OperatorEngines.Build(loaded.Network, config);
        foreach (var engine in engines.All)
        {
            using var context = engine.CreateExecutionContext();
            var actual = context.Execute(x, 2);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6f, $"{engine.BackendName}: y[{i}] = {actual[i]}, expected {expected[i]} (x = {x[i]})");
            }
        }
    }

    [Fact]
    public void Int8_network_runs_it_in_float_between_int8_layers()
    {
        var net = new NetworkDefinition("hs");
        var input = net.AddInput("x", new TensorDims(4, 3, 3));
        var conv = net.AddConvolution(input, 4, 1, [.. Enumerable.Range(0, 16).Select(i => (i % 5) * 0.25f - 0.5f)], name: "conv");
        var hs = net.AddHardSigmoid(conv.Output, Alpha, Beta, "hs");
        var fc = net.AddFullyConnected(hs.Output, 2, [.. Enumerable.Range(0, 2 * 36).Select(i => (i % 7) * 0.1f - 0.3f)], name: "fc");
        net.MarkOutput(fc.Output);
        foreach (var t in new[] { input, conv.Output, hs.Output, fc.Output })
        {
            t.SetDynamicRange(-4f, 4f);
        }

        using var engine = EngineBuilder.BuildCpu(net, new BuilderConfig { Int8 = true, MaxBatchSize = 1 });
        var node = engine.Plan.Nodes.Single(n => n.Layer is HardSigmoidLayer);
        Assert.False(node.Int8);
        Assert.Contains(engine.Plan.Nodes, n => n.Layer.Type == LayerType.Convolution && n.Int8);
        using var context = engine.CreateExecutionContext();
        var y = context.Execute(Random(36, seed: 3), 1);
        Assert.Equal(2, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }
}
