using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>Mapping ONNX graphs onto layers: the fixture models, opset forms, QDQ ranges, refusals.</summary>
public class OnnxImporterTests
{
    [Fact]
    public void FashionCnn_MapsToLayersWithTheShapeChainFolded()
    {
        var network = OnnxImporter.Import(OnnxFixtures.FashionCnn);

        Assert.Equal(
            ["Convolution", "Scale", "Activation", "MaxPool", "Convolution", "Scale", "Activation", "MaxPool", "Reshape",
             "FullyConnected", "Activation", "FullyConnected", "SoftMax"],
            network.Layers.Select(l => l.Spec.Kind));
        var input = Assert.Single(network.Inputs);
        Assert.Equal([ImportedTensor.DynamicBatch, 1, 28, 28], input.Shape);
        var reshape = network.Layers.Single(l => l.Spec is ReshapeSpec);
        Assert.Equal([ImportedTensor.DynamicBatch, 32 * 7 * 7], reshape.Output.Shape);
        Assert.Equal([ImportedTensor.DynamicBatch, 10], Assert.Single(network.Outputs).Shape);
        Assert.Equal("probabilities", network.Outputs[0].Name);
        Assert.Equal(1, Assert.IsType<SoftMaxSpec>(network.Layers[^1].Spec).Axis);
        Assert.Empty(network.DynamicRanges);
    }

    [Fact]
    public void FashionCnnQdq_TakesRangesAndInt8Weights()
    {
        var network = OnnxImporter.Import(OnnxFixtures.FashionCnnQdq);

        Assert.Equal(
            ["Convolution", "Activation", "MaxPool", "Convolution", "Activation", "MaxPool", "Reshape",
             "FullyConnected", "Activation", "FullyConnected", "SoftMax"],
            network.Layers.Select(l => l.Spec.Kind));
        Assert.Empty(network.Notes); // symmetric quint8 (zero point 128) activations map exactly
        Assert.Contains("input", network.DynamicRanges.Keys);
        foreach (var layer in network.Layers.Where(l => l.Spec.Kind is "Activation" or "MaxPool" or "Reshape"))
        {
            Assert.True(network.DynamicRanges.ContainsKey(layer.Output.Name), $"no range for {layer}");
        }
        foreach (var spec in network.Layers.Select(l => l.Spec))
        {
            var int8 = spec switch
            {
                ConvolutionSpec c => c.Int8Weights,
                FullyConnectedSpec f => f.Int8Weights,
                _ => null,
            };
            if (spec is ConvolutionSpec or FullyConnectedSpec)
            {
                Assert.NotNull(int8);
                Assert.True(int8.IsSymmetric);
                Assert.Equal(OnnxDataType.Int8, int8.Type);
                Assert.All(int8.Values, v => Assert.InRange(v, -128, 127));
            }
        }
        var conv1 = (ConvolutionSpec)network.Layers[0].Spec;
        Assert.Equal(16, conv1.Int8Weights!.Scales.Length);
        // The float weights are the dequantized integers.
        Assert.Equal(conv1.Int8Weights.Values[0] * conv1.Int8Weights.Scales[0], conv1.Weights[0], 6);
    }

    [Fact]
    public void FashionCnn_FixedBatch_FoldsTheShapeToNumbers()
    {
        var network = OnnxImporter.Import(OnnxFixtures.FashionCnn, new OnnxImportOptions { BatchSize = 4 });

        Assert.Equal([4L, 1, 28, 28], network.Inputs[0].Shape);
        Assert.Equal([4L, 1568], network.Layers.Single(l => l.Spec is ReshapeSpec).Output.Shape);
    }

    [Fact]
    public void ResNet18_MapsWithAsymmetricPadsAndDynamicBatch()
    {
        Assert.SkipUnless(File.Exists(OnnxFixtures.ResNet18), $"ResNet18.onnx not found at {OnnxFixtures.ResNet18}.");
        var network = OnnxImporter.Import(OnnxFixtures.ResNet18);

        Assert.Equal([ImportedTensor.DynamicBatch, 3, 224, 224], network.Inputs[0].Shape);
        Assert.Equal([ImportedTensor.DynamicBatch, 512, 1, 1], Assert.Single(network.Outputs).Shape);
        Assert.Equal(22, network.Layers.Count(l => l.Spec is ConvolutionSpec));
        Assert.Equal(9, network.Layers.Count(l => l.Spec is ElementWiseSpec));
        var stem = (ConvolutionSpec)network.Layers[0].Spec;
        Assert.Equal((3, 3, 2, 2), stem.Pads);
        Assert.Equal([ImportedTensor.DynamicBatch, 64, 112, 112], network.Layers[0].Output.Shape);
    }

    [Fact]
    public void UnsupportedOperator_NamesOpNodeAndOpset()
    {
        var model = Model(17, [Node("Relu", ["x"], ["a"]), Node("Hardmax", ["a"], ["y"])], [Value("x", -1, 4)], [Value("y")]);

        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(model.Bytes())));

        Assert.Equal("Hardmax", e.OpType);
        Assert.Equal("Hardmax_y", e.NodeName);
        Assert.Equal(17, e.Opset);
        Assert.Contains("Hardmax", e.Message, StringComparison.Ordinal);
        Assert.Contains("opset 17", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpsetOutsideTheRange_IsRefused()
    {
        // Add before opset 7 broadcast differently (the broadcast/axis attributes); Relu at 22 is beyond 21.
        var legacy = Model(6, [Node("Add", ["x", "x"], ["y"])], [Value("x", -1, 4)], [Value("y")]);
        var future = Model(22, [Node("Relu", ["x"], ["y"])], [Value("x", -1, 4)], [Value("y")]);

        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(legacy.Bytes())));
        Assert.Equal(6, e.Opset);
        Assert.Equal("Add", e.OpType);
        Assert.Equal(22, Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(future.Bytes()))).Opset);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(13)]
    public void Clip_BoundsFromAttributesBefore11AndInputsAfter(long opset)
    {
        var nodes = opset < 11
            ? new[] { Node("Clip", ["x"], ["y"], Float("min", -1f), Float("max", 6f)) }
            : [Node("Clip", ["x", "lo", "hi"], ["y"])];
        var model = Model(opset, nodes, [Value("x", -1, 4)], [Value("y")],
            opset < 11 ? [] : [Floats("lo", [], [-1f]), Floats("hi", [], [6f])]);

        var spec = Assert.IsType<ActivationLayerSpec>(Assert.Single(OnnxImporter.Import(OnnxModel.Parse(model.Bytes())).Layers).Spec);

        Assert.Equal(new ActivationLayerSpec(OnnxActivation.Clip, -1f, 6f), spec);
    }

    [Fact]
    public void Softmax_BeforeOpset13_FlattensFromTheAxis()
    {
        var model = Model(11, [Node("Softmax", ["x"], ["y"])], [Value("x", -1, 2, 3, 4)], [Value("y")]);
        var network = OnnxImporter.Import(OnnxModel.Parse(model.Bytes()));

        Assert.Equal(["Reshape", "SoftMax", "Reshape"], network.Layers.Select(l => l.Spec.Kind));
        Assert.Equal([ImportedTensor.DynamicBatch, 24], network.Layers[1].Output.Shape);

        var x = new ReferenceTensor([1, 2, 3, 4], Random(24, 1));
        var y = OnnxReference.Run(network, new Dictionary<string, ReferenceTensor> { ["x"] = x })["y"];
        Assert.Equal(1.0, y.Data.Sum(v => (double)v), 5); // one distribution over all 24 values
    }

    [Fact]
    public void MatMulAndAdd_BecomeOneFullyConnectedLayer()
    {
        var model = Model(13, [Node("MatMul", ["x", "w"], ["m"]), Node("Add", ["m", "b"], ["y"])], [Value("x", -1, 3)], [Value("y")],
            [Floats("w", [3, 2], [1, 2, 3, 4, 5, 6]), Floats("b", [2], [10, 20])]);

        var layer = Assert.Single(OnnxImporter.Import(OnnxModel.Parse(model.Bytes())).Layers);
        var fc = Assert.IsType<FullyConnectedSpec>(layer.Spec);

        Assert.Equal([1f, 3, 5, 2, 4, 6], fc.Weights); // W[m, k] = B[k, m]
        Assert.Equal([10f, 20], fc.Bias!);
        Assert.Equal("y", layer.Output.Name);
    }

    [Fact]
    public void AsymmetricQdqRange_IsReportedNotSilentlyChanged()
    {
        var model = Model(13,
            [Node("QuantizeLinear", ["x", "s", "z"], ["q"]), Node("DequantizeLinear", ["q", "s", "z"], ["d"]), Node("Relu", ["d"], ["y"])],
            [Value("x", -1, 4)], [Value("y")],
            [Floats("s", [], [0.1f]), Int8s("z", [], [20], unsigned: true)]);

        var network = OnnxImporter.Import(OnnxModel.Parse(model.Bytes()));

        // uint8 with zero point 20 and scale 0.1 covers [-2, 23.5]: widened to T = 23.5, and said so.
        Assert.Equal(23.5f, network.DynamicRanges["x"], 4);
        var note = Assert.Single(network.Notes);
        Assert.Contains("asymmetric", note, StringComparison.Ordinal);
        Assert.Contains("'x'", note, StringComparison.Ordinal);
    }

    [Fact]
    public void DynamicBatch_ReshapeThatFixesTheBatch_IsRefused()
    {
        var model = Model(13, [Node("Reshape", ["x", "shape"], ["y"])], [Value("x", -1, 2, 3)], [Value("y")],
            [Int64s("shape", [2], [2, 6])]);

        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(model.Bytes())));
        Assert.Equal("Reshape", e.OpType);
        Assert.Contains("batch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConstantNeighbourOfAdd_BecomesAPerChannelScale()
    {
        var model = Model(13, [Node("Add", ["x", "c"], ["y"])], [Value("x", -1, 3, 2, 2)], [Value("y")],
            [Floats("c", [3, 1, 1], [1, 2, 3])]);

        var scale = Assert.IsType<ScaleSpec>(Assert.Single(OnnxImporter.Import(OnnxModel.Parse(model.Bytes())).Layers).Spec);

        Assert.Equal(ScaleMode.PerChannel, scale.Mode);
        Assert.Equal([1f, 2, 3], scale.Shift);
        Assert.Equal([1f, 1, 1], scale.Scale);
    }
}
