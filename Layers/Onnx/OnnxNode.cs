using System.Globalization;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// One ONNX node with its attributes decoded, its operator set version resolved from the model's
/// opset imports, and typed attribute readers whose errors name the node.
/// </summary>
public sealed class OnnxNode
{
    private readonly Dictionary<string, OnnxAttribute> _attributes;

    /// <summary>Creates a node (the reader builds these; tests may too).</summary>
    /// <param name="index">Position in the file's node list.</param>
    /// <param name="name">Node name (may be empty).</param>
    /// <param name="opType">Operator.</param>
    /// <param name="domain">Operator domain ("" for the default ONNX domain).</param>
    /// <param name="opset">Operator set version in force for the domain.</param>
    /// <param name="inputs">Input tensor names ("" marks an omitted optional input).</param>
    /// <param name="outputs">Output tensor names ("" marks an omitted optional output).</param>
    /// <param name="attributes">Attributes; names must be unique.</param>
    public OnnxNode(int index, string name, string opType, string domain, long opset,
        IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IEnumerable<OnnxAttribute> attributes)
    {
        Index = index;
        Name = name;
        OpType = opType;
        Domain = domain;
        Opset = opset;
        Inputs = inputs;
        Outputs = outputs;
        _attributes = [];
        foreach (var a in attributes)
        {
            if (!_attributes.TryAdd(a.Name, a))
            {
                throw Error($"attribute '{a.Name}' appears twice.");
            }
        }
    }

    /// <summary>Position in the file's node list.</summary>
    public int Index { get; }

    /// <summary>Node name as in the file (may be empty).</summary>
    public string Name { get; }

    /// <summary>The name, or "#index" when the file gives none: what errors print.</summary>
    public string DisplayName => Name.Length > 0 ? Name : "#" + Index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Operator type.</summary>
    public string OpType { get; }

    /// <summary>Operator domain ("" for the default ONNX domain).</summary>
    public string Domain { get; }

    /// <summary>True for the default ONNX operator domain ("" or "ai.onnx").</summary>
    public bool IsDefaultDomain => Domain.Length == 0 || Domain == "ai.onnx";

    /// <summary>Operator set version in force for the node's domain.</summary>
    public long Opset { get; }

    /// <summary>Input tensor names; "" marks an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Output tensor names; "" marks an omitted optional output.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Attributes by name.</summary>
    public IReadOnlyDictionary<string, OnnxAttribute> Attributes => _attributes;

    /// <summary>The input at <paramref name="i"/>, or null when absent or omitted.</summary>
    public string? InputOrNull(int i) => i < Inputs.Count && Inputs[i].Length > 0 ? Inputs[i] : null;

    /// <summary>The input at <paramref name="i"/>; an error naming the node when absent.</summary>
    public string Input(int i) => InputOrNull(i) ?? throw Error($"input {i} is required but missing.");

    /// <summary>An integer attribute, or <paramref name="fallback"/> when absent.</summary>
    public long GetInt(string name, long fallback) => Find(name, OnnxAttributeType.Int)?.Int ?? fallback;

    /// <summary>An integer attribute, or null when absent.</summary>
    public long? GetIntOrNull(string name) => Find(name, OnnxAttributeType.Int)?.Int;

    /// <summary>A float attribute, or <paramref name="fallback"/> when absent.</summary>
    public float GetFloat(string name, float fallback) => Find(name, OnnxAttributeType.Float)?.Float ?? fallback;

    /// <summary>A float attribute, or null when absent.</summary>
    public float? GetFloatOrNull(string name) => Find(name, OnnxAttributeType.Float)?.Float;

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    public string GetString(string name, string fallback) => Find(name, OnnxAttributeType.String)?.String ?? fallback;

    /// <summary>An integer-list attribute, or null when absent.</summary>
    public long[]? GetInts(string name) => Find(name, OnnxAttributeType.Ints)?.Ints.ToArray();

    /// <summary>A float-list attribute, or null when absent.</summary>
    public float[]? GetFloats(string name) => Find(name, OnnxAttributeType.Floats)?.Floats.ToArray();

    /// <summary>A tensor attribute, or null when absent.</summary>
    public OnnxTensor? GetTensor(string name) => Find(name, OnnxAttributeType.Tensor)?.Tensor;

    /// <summary>An error about this node: names its operator, node and opset.</summary>
    public OnnxImportException Error(string message) =>
        new(message, $"graph.node[{Index.ToString(CultureInfo.InvariantCulture)}]", OpType, DisplayName, Opset);

    /// <summary>An error saying this node (or this form of it) is not supported.</summary>
    public OnnxImportException Unsupported(string what) => Error($"not supported: {what}.");

    /// <inheritdoc />
    public override string ToString() => $"{OpType} '{DisplayName}' ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";

    private OnnxAttribute? Find(string name, OnnxAttributeType type)
    {
        if (!_attributes.TryGetValue(name, out var a))
        {
            return null;
        }
        return a.Type == type ? a : throw Error($"attribute '{name}' is {a.Type}, expected {type}.");
    }
}
