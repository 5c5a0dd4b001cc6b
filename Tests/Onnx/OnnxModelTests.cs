using Google.Protobuf;
using ILGPUInt8.Layers.Onnx;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>Reading ONNX files: the object model, and the errors for malformed files.</summary>
public class OnnxModelTests
{
    [Fact]
    public void FashionCnn_ParsesWithOpsetNodesAndInitializers()
    {
        var model = OnnxModel.Load(OnnxFixtures.FashionCnn);

        Assert.Equal(13, model.Opset);
        Assert.StartsWith("pytorch", model.Producer, StringComparison.Ordinal);
        var input = Assert.Single(model.Graph.Inputs);
        Assert.Equal("input", input.Name);
        Assert.Equal("N", input.Shape![0].Param);
        Assert.Equal([1L, 28, 28], input.Shape.Skip(1).Select(d => d.Value!.Value));
        Assert.Equal(14, model.Graph.Initializers.Count);
        var w = model.Graph.Initializers["conv1.weight"];
        Assert.Equal([16L, 1, 3, 3], w.Dims);
        Assert.True(w.IsFloat);
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Equal("probabilities", Assert.Single(model.Graph.Outputs).Name);
    }

    [Fact]
    public void ResNet18_ParsesFloatDataAndInitializersMissingFromInputs()
    {
        Assert.SkipUnless(File.Exists(OnnxFixtures.ResNet18), $"ResNet18.onnx not found at {OnnxFixtures.ResNet18} (restore the Tests project).");
        var model = OnnxModel.Load(OnnxFixtures.ResNet18);

        Assert.Equal(8, model.Opset);
        Assert.Equal(110, model.Graph.Initializers.Count);
        Assert.Equal("Input247", Assert.Single(model.Graph.Inputs).Name);
        Assert.Equal(3 * 64 * 7 * 7, model.Graph.Initializers["Parameter91"].ElementCount);
        Assert.Equal(22, model.Graph.Nodes.Count(n => n.OpType == "Conv"));
        Assert.Equal(new OnnxDim(1, null), model.Graph.Inputs[0].Shape![0]);
    }

    [Fact]
    public void Tensor_FloatDataAndRawDataDecodeTheSame()
    {
        float[] values = [1.5f, -2f, 0f, 3.25f, float.MaxValue, -0f];
        var raw = OnnxModel.ParseTensor(Floats("t", [2, 3], values, raw: true).ToByteArray());
        var typed = OnnxModel.ParseTensor(Floats("t", [2, 3], values, raw: false).ToByteArray());

        Assert.Equal(values, raw.Floats.ToArray());
        Assert.Equal(values, typed.Floats.ToArray());
        Assert.Equal([2L, 3], raw.Dims);
    }

    [Fact]
    public void Tensor_Int8AndInt64Decode()
    {
        var q = OnnxModel.ParseTensor(Int8s("q", [4], [-128, -1, 0, 127]).ToByteArray());
        var u = OnnxModel.ParseTensor(Int8s("u", [2], [-1, 5], unsigned: true).ToByteArray());
        var l = OnnxModel.ParseTensor(Int64s("l", [3], [long.MinValue, 0, long.MaxValue]).ToByteArray());

        Assert.Equal(OnnxDataType.Int8, q.DataType);
        Assert.Equal([-128L, -1, 0, 127], q.Integers.ToArray());
        Assert.Equal([255L, 5], u.Integers.ToArray());
        Assert.Equal([long.MinValue, 0, long.MaxValue], l.Integers.ToArray());
    }

    [Theory]
    [InlineData(new long[] { 1L << 40, 1L << 40 }, "cap")]
    [InlineData(new long[] { -3, 2 }, "negative")]
    [InlineData(new long[] { 1000, 1000 }, "raw_data holds")]
    public void Tensor_DeclaredSizeBeyondTheBytesOrTheCap_IsRefused(long[] dims, string expected)
    {
        var t = Floats("w", [2, 2], [1, 2, 3, 4]);
        t.Dims.Clear();
        t.Dims.AddRange(dims);

        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.ParseTensor(t.ToByteArray()));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFile_IsAnError()
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Parse([]));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedFile_SaysWhereItBroke()
    {
        byte[] bytes = File.ReadAllBytes(OnnxFixtures.FashionCnn);

        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(bytes[..(bytes.Length / 2)]));

        Assert.NotNull(e.Location);
        Assert.Matches(@"byte \d+ in model\.graph\[0\]", e.Location);
        Assert.Contains("remain", e.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void NotAnOnnxFile_IsAnError()
    {
        byte[] text = "this is not a protobuf file at all, just text"u8.ToArray();
        Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(text));
    }

    [Fact]
    public void MissingInitializer_NamesTheNodeAndInput()
    {
        var model = Model(13, [Node("Conv", ["x", "w"], ["y"])], [Value("x", -1, 1, 4, 4)], [Value("y")]);

        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(model.Bytes()));

        Assert.Equal("Conv", e.OpType);
        Assert.Equal("Conv_y", e.NodeName);
        Assert.Equal(13, e.Opset);
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cycle_IsAnError()
    {
        var model = Model(13,
            [Node("Relu", ["x", "b"], ["a"]), Node("Relu", ["a"], ["b"]), Node("Relu", ["b"], ["y"])],
            [Value("x", -1, 4)], [Value("y")]);

        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(model.Bytes()));
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TensorDefinedTwice_IsAnError()
    {
        var model = Model(13, [Node("Relu", ["x"], ["y"]), Node("Sigmoid", ["x"], ["y"])], [Value("x", -1, 4)], [Value("y")]);

        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(model.Bytes()));
        Assert.Contains("already defined", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NodesOutOfOrder_AreSortedTopologically()
    {
        var model = Model(13, [Node("Sigmoid", ["a"], ["y"]), Node("Relu", ["x"], ["a"])], [Value("x", -1, 4)], [Value("y")]);

        var parsed = OnnxModel.Parse(model.Bytes());

        Assert.Equal(["Relu", "Sigmoid"], parsed.Graph.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void AttributeOfTheWrongType_NamesTheNode()
    {
        var model = Model(13, [Node("LeakyRelu", ["x"], ["y"], String("alpha", "big"))], [Value("x", -1, 4)], [Value("y")]);
        var parsed = OnnxModel.Parse(model.Bytes());

        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(parsed));
        Assert.Equal("LeakyRelu", e.OpType);
        Assert.Contains("'alpha'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExternalData_IsRefused()
    {
        var t = Floats("w", [2], [1, 2]);
        t.DataLocation = global::ILGPUInt8.Layers.Onnx.Proto.TensorProto.Types.DataLocation.External;

        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.ParseTensor(t.ToByteArray()));
        Assert.Contains("external", e.Message, StringComparison.Ordinal);
    }
}
