using ILGPUInt8.Layers.Onnx.Proto;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>ONNX attribute kinds (AttributeProto.AttributeType).</summary>
public enum OnnxAttributeType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>One float.</summary>
    Float = 1,
    /// <summary>One 64-bit integer.</summary>
    Int = 2,
    /// <summary>One string.</summary>
    String = 3,
    /// <summary>One tensor.</summary>
    Tensor = 4,
    /// <summary>A subgraph (not supported by the importer).</summary>
    Graph = 5,
    /// <summary>A list of floats.</summary>
    Floats = 6,
    /// <summary>A list of integers.</summary>
    Ints = 7,
    /// <summary>A list of strings.</summary>
    Strings = 8,
    /// <summary>A list of tensors.</summary>
    Tensors = 9,
    /// <summary>A list of subgraphs (not supported).</summary>
    Graphs = 10,
    /// <summary>A sparse tensor (not supported).</summary>
    SparseTensor = 11,
    /// <summary>A list of sparse tensors (not supported).</summary>
    SparseTensors = 12,
    /// <summary>A type (not supported).</summary>
    TypeProto = 13,
    /// <summary>A list of types (not supported).</summary>
    TypeProtos = 14,
}

/// <summary>One attribute of an ONNX node, decoded.</summary>
public sealed class OnnxAttribute
{
    private OnnxAttribute(string name, OnnxAttributeType type)
    {
        Name = name;
        Type = type;
    }

    /// <summary>Attribute name.</summary>
    public string Name { get; }

    /// <summary>Which of the value properties is meaningful.</summary>
    public OnnxAttributeType Type { get; }

    /// <summary>The value of a <see cref="OnnxAttributeType.Float"/> attribute.</summary>
    public float Float { get; private init; }

    /// <summary>The value of an <see cref="OnnxAttributeType.Int"/> attribute.</summary>
    public long Int { get; private init; }

    /// <summary>The value of a <see cref="OnnxAttributeType.String"/> attribute.</summary>
    public string String { get; private init; } = "";

    /// <summary>The value of a <see cref="OnnxAttributeType.Tensor"/> attribute.</summary>
    public OnnxTensor? Tensor { get; private init; }

    /// <summary>The value of a <see cref="OnnxAttributeType.Floats"/> attribute.</summary>
    public IReadOnlyList<float> Floats { get; private init; } = [];

    /// <summary>The value of an <see cref="OnnxAttributeType.Ints"/> attribute.</summary>
    public IReadOnlyList<long> Ints { get; private init; } = [];

    /// <summary>The value of a <see cref="OnnxAttributeType.Strings"/> attribute.</summary>
    public IReadOnlyList<string> Strings { get; private init; } = [];

    /// <summary>An attribute built in code (tests, synthetic nodes).</summary>
    public static OnnxAttribute OfInt(string name, long value) => new(name, OnnxAttributeType.Int) { Int = value };

    /// <summary>An attribute built in code.</summary>
    public static OnnxAttribute OfInts(string name, params long[] values) => new(name, OnnxAttributeType.Ints) { Ints = values };

    /// <summary>An attribute built in code.</summary>
    public static OnnxAttribute OfFloat(string name, float value) => new(name, OnnxAttributeType.Float) { Float = value };

    /// <summary>An attribute built in code.</summary>
    public static OnnxAttribute OfString(string name, string value) => new(name, OnnxAttributeType.String) { String = value };

    /// <summary>An attribute built in code.</summary>
    public static OnnxAttribute OfTensor(string name, OnnxTensor value) => new(name, OnnxAttributeType.Tensor) { Tensor = value };

    internal static OnnxAttribute Decode(AttributeProto p, string location, long maxElements)
    {
        if (p.HasRefAttrName)
        {
            throw OnnxImportException.Malformed(location, $"attribute '{p.Name}' refers to a function attribute, which only functions may do.");
        }
        var type = (OnnxAttributeType)p.Type;
        if (type == OnnxAttributeType.Undefined)
        {
            // IR version 1 files may omit the type: infer it from the field that is set.
            type = p.HasF ? OnnxAttributeType.Float : p.HasI ? OnnxAttributeType.Int : p.HasS ? OnnxAttributeType.String
                : p.T is not null ? OnnxAttributeType.Tensor : p.Floats.Count > 0 ? OnnxAttributeType.Floats
                : p.Ints.Count > 0 ? OnnxAttributeType.Ints : p.Strings.Count > 0 ? OnnxAttributeType.Strings
                : OnnxAttributeType.Undefined;
        }
        return type switch
        {
            OnnxAttributeType.Float => new(p.Name, type) { Float = p.F },
            OnnxAttributeType.Int => new(p.Name, type) { Int = p.I },
            OnnxAttributeType.String => new(p.Name, type) { String = p.S.ToStringUtf8() },
            OnnxAttributeType.Tensor => new(p.Name, type)
            {
                Tensor = OnnxTensor.Decode(p.T ?? throw OnnxImportException.Malformed(location, $"tensor attribute '{p.Name}' has no tensor."),
                    location + ".t", maxElements),
            },
            OnnxAttributeType.Floats => new(p.Name, type) { Floats = [.. p.Floats] },
            OnnxAttributeType.Ints => new(p.Name, type) { Ints = [.. p.Ints] },
            OnnxAttributeType.Strings => new(p.Name, type) { Strings = [.. p.Strings.Select(s => s.ToStringUtf8())] },
            // Subgraphs, sparse tensors and types are recorded by kind only; no mapped operator reads them.
            _ => new(p.Name, type),
        };
    }
}
