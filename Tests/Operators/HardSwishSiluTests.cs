using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Proto;
using ILGPUInt8.Layers.Onnx.Reference;
using ILGPUInt8.Layers.Operators;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Operators;

/// <summary>
/// HardSwish (Layers/Operators/HardSwish/) and SiLU (Layers/Operators/Silu/) as activations: the ONNX HardSwish node,
/// torch's Mul(x, HardSigmoid(x; 1/6, 1/2)) below opset 14 and Mul(x, Sigmoid(x)) each become one activation layer; the
/// ONNX oracle, the FP32 engine on the ILGPU CPU accelerator, the CPU backend and after an engine-file round trip all give
/// y = x·clamp(x/6 + 1/2, 0, 1) and y = x/(1 + e^−x); in INT8 each is one exact 256-entry table.
/// </summary>
public sealed class HardSwishSiluTests
{
    private static float HardSwish(float v) => (float)(v * Math.Clamp((v / 6.0) + 0.5, 0.0, 1.0));

    private static float Silu(float v) => (float)(v / (1.0 + Math.Exp(-(double)v)));

    public static TheoryData<string> Forms() => ["hardswish", "hardsigmoid*x", "x*sigmoid"];

    [Theory]
    [MemberData(nameof(Forms))]
    public void Onnx_forms_become_one_activation_and_run_like_the_formula(string form)
    {
        // Values from −8 to 8 cross HardSwish's knees at ±3; the knees themselves and zero included.
        var x = Random(2 * 3 * 4 * 5, seed: 11).Select(v => v * 8f).ToArray();
        (x[0], x[1], x[2]) = (-3f, 3f, 0f);
        NodeProto[] nodes = form switch
        {
            "hardswish" => [Node("HardSwish", ["x"], ["y"])],
            "hardsigmoid*x" => [Node("HardSigmoid", ["x"], ["g"], Float("alpha", 1f / 6f), Float("beta", 0.5f)), Node("Mul", ["x", "g"], ["y"])],
            _ => [Node("Sigmoid", ["x"], ["g"]), Node("Mul", ["g", "x"], ["y"])],
        };
        var model = Model(form == "hardswish" ? 14 : 13, nodes, [Value("x", 2, 3, 4, 5)], [Value("y", 2, 3, 4, 5)]);
        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "gate");
        var layer = Assert.IsType<ActivationLayer>(Assert.Single(loaded.Network.Layers));
        var kind = form == "x*sigmoid" ? ActivationKind.Silu : ActivationKind.HardSwish;
        Assert.Equal(kind, layer.Activation.Kind);
        Func<float, float> f = kind == ActivationKind.Silu ? Silu : HardSwish;
        var expected = x.Select(f).ToArray();

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
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6f * (1 + Math.Abs(expected[i])), $"{engine.BackendName}: y[{i}] = {actual[i]}, expected {expected[i]} (x = {x[i]})");
            }
        }
    }

    /// <summary>A gate whose Mul reads another tensor (squeeze-and-excitation) is not the pattern: both nodes stay.</summary>
    [Fact]
    public void A_gate_multiplying_another_tensor_is_not_fused()
    {
        var model = Model(13, [Node("Sigmoid", ["x"], ["g"]), Node("Mul", ["g", "z"], ["y"])], [Value("x", 1, 3, 2, 2), Value("z", 1, 3, 2, 2)], [Value("y", 1, 3, 2, 2)]);
        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "se");
        Assert.Contains(loaded.Network.Layers, l => l is ActivationLayer { Activation.Kind: ActivationKind.Sigmoid });
        Assert.Contains(loaded.Network.Layers, l => l is ElementWiseLayer);
    }

    [Theory]
    [InlineData(ActivationKind.HardSwish)]
    [InlineData(ActivationKind.Silu)]
    public void Int8_activation_is_the_exact_table_and_fuses_into_the_convolution(ActivationKind kind)
    {
        var net = new NetworkDefinition("act");
        var input = net.AddInput("x", new TensorDims(4, 3, 3));
        var conv = net.AddConvolution(input, 4, 1, [.. Enumerable.Range(0, 16).Select(i => ((i % 5) * 0.25f) - 0.5f)], name: "conv");
        var act = net.AddActivation(conv.Output, kind, name: "act");
        net.MarkOutput(act.Output);
        foreach (var t in new[] { input, conv.Output, act.Output })
        {
            t.SetDynamicRange(-4f, 4f);
        }

        var x = Random(36, seed: 5).Select(v => v * 4f).ToArray();
        float[]? previous = null;
        foreach (bool fuse in new[] { true, false })
        {
            using var engine = EngineBuilder.BuildCpu(net, new BuilderConfig { Int8 = true, MaxBatchSize = 1, Fusion = fuse });
            Assert.All(engine.Plan.Nodes.Where(n => n.Layer.Type is LayerType.Convolution or LayerType.Activation), n => Assert.True(n.Int8, n.Layer.Name));
            using var context = engine.CreateExecutionContext();
            var y = context.Execute(x, 1);
            Assert.All(y, v => Assert.True(float.IsFinite(v)));
            if (previous is not null)
            {
                Assert.Equal(previous, y); // fusion changes no bit
            }

            previous = y;
        }
    }
}
