namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// The one exception the ONNX importer throws for a file it cannot take: a malformed file (with
/// <see cref="Location"/> saying where it broke), an unsupported operator (with <see cref="OpType"/>,
/// <see cref="NodeName"/> and <see cref="Opset"/>), or a model outside the documented limits.
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>Creates an exception; prefer the factories <see cref="Malformed"/> and <see cref="Unsupported"/>.</summary>
    /// <param name="message">What is wrong, in words.</param>
    /// <param name="location">Where in the file it broke (byte offset and message path, or a graph element).</param>
    /// <param name="opType">The operator of the node concerned, if any.</param>
    /// <param name="nodeName">The node concerned (its name, or its index when unnamed), if any.</param>
    /// <param name="opset">The operator set version the node was read with, if any.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public OnnxImportException(string message, string? location = null, string? opType = null,
        string? nodeName = null, long? opset = null, Exception? inner = null)
        : base(Compose(message, location, opType, nodeName, opset), inner)
    {
        Reason = message;
        Location = location;
        OpType = opType;
        NodeName = nodeName;
        Opset = opset;
    }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Reason { get; }

    /// <summary>Where the file broke: "byte 1234, graph.node[5].attribute[0]" or "graph.initializer 'w'"; null if not known.</summary>
    public string? Location { get; }

    /// <summary>The ONNX operator concerned, or null.</summary>
    public string? OpType { get; }

    /// <summary>The node concerned (its name, or "#index" when it has none), or null.</summary>
    public string? NodeName { get; }

    /// <summary>The default-domain operator set version in force, or null.</summary>
    public long? Opset { get; }

    /// <summary>A malformed file: <paramref name="location"/> says where it broke.</summary>
    public static OnnxImportException Malformed(string location, string message, Exception? inner = null) =>
        new(message, location, inner: inner);

    /// <summary>An operator (or an operator's form) the importer does not map.</summary>
    public static OnnxImportException Unsupported(string opType, string nodeName, long opset, string message) =>
        new(message, null, opType, nodeName, opset);

    private static string Compose(string message, string? location, string? opType, string? nodeName, long? opset)
    {
        string where = opType is not null
            ? $"{opType} node '{nodeName}' (opset {opset?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"})"
            : location ?? "";
        return where.Length == 0 ? $"ONNX import: {message}" : $"ONNX import: {where}: {message}";
    }
}
