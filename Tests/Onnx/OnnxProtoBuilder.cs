using Google.Protobuf;
using ILGPUInt8.Layers.Onnx.Proto;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>Builds small ONNX models in code (through the generated protobuf classes) for the tests.</summary>
internal static class OnnxProtoBuilder
{
    public static ModelProto Model(long opset, IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs,
        IEnumerable<ValueInfoProto> outputs, IEnumerable<TensorProto>? initializers = null)
    {
        var graph = new GraphProto { Name = "test" };
        graph.Node.AddRange(nodes);
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs);
        graph.Initializer.AddRange(initializers ?? []);
        var model = new ModelProto { IrVersion = 7, ProducerName = "tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static byte[] Bytes(this ModelProto model) => model.ToByteArray();

    public static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = $"{op}_{outputs.FirstOrDefault()}" };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    public static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } },
        };
    }

    public static TensorProto Floats(string name, long[] dims, float[] values, bool raw = true)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        if (raw)
        {
            t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            t.FloatData.AddRange(values);
        }
        return t;
    }

    public static TensorProto Int64s(string name, long[] dims, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        return t;
    }

    public static TensorProto Int8s(string name, long[] dims, sbyte[] values, bool unsigned = false)
    {
        var t = new TensorProto { Name = name, DataType = unsigned ? 2 : 3 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom([.. values.Select(v => (byte)v)]);
        return t;
    }

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static AttributeProto String(string name, string v) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };

    public static AttributeProto Tensor(string name, TensorProto t) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };

    /// <summary>Deterministic values in [−1, 1).</summary>
    public static float[] Random(int count, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((r.NextDouble() * 2) - 1))];
    }
}
