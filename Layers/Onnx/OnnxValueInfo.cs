using ILGPUInt8.Layers.Onnx.Proto;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>One dimension of a declared shape: a number, a symbol ("N", "batch"), or unknown.</summary>
/// <param name="Value">The size, when the file gives a number.</param>
/// <param name="Param">The symbolic name, when the file gives one.</param>
public readonly record struct OnnxDim(long? Value, string? Param)
{
    /// <inheritdoc />
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}

/// <summary>
/// A declared type and shape (graph.input, graph.output, graph.value_info). The importer treats these as
/// hints only: the batch dimension is always dynamic, and shapes are inferred from the operators.
/// </summary>
public sealed class OnnxValueInfo
{
    /// <summary>Creates a value info.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="elementType">Element type (Undefined when not a tensor or not given).</param>
    /// <param name="shape">Declared dimensions, or null when the file gives no shape.</param>
    public OnnxValueInfo(string name, OnnxDataType elementType, IReadOnlyList<OnnxDim>? shape)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>Element type (Undefined when not given).</summary>
    public OnnxDataType ElementType { get; }

    /// <summary>Declared dimensions, or null when no shape is given.</summary>
    public IReadOnlyList<OnnxDim>? Shape { get; }

    /// <inheritdoc />
    public override string ToString() => Shape is null ? $"{Name} {ElementType}" : $"{Name} {ElementType}[{string.Join(", ", Shape)}]";

    internal static OnnxValueInfo Decode(ValueInfoProto p)
    {
        var tensorType = p.Type?.TensorType;
        IReadOnlyList<OnnxDim>? shape = tensorType?.Shape is { } s
            ? [.. s.Dim.Select(d => new OnnxDim(d.HasDimValue ? d.DimValue : null, d.HasDimParam ? d.DimParam : null))]
            : null;
        return new OnnxValueInfo(p.Name ?? "", (OnnxDataType)(tensorType?.ElemType ?? 0), shape);
    }
}
