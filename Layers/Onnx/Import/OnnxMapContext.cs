namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// The state of one import: what every ONNX tensor name stands for, the network being built, and the
/// helpers mappers use to read inputs (with errors naming the node) and to add layers.
/// </summary>
internal sealed class OnnxMapContext
{
    private readonly Dictionary<string, OnnxValue> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImportedTensor> _materialized = new(StringComparer.Ordinal);
    private readonly HashSet<OnnxNode> _handled = new(ReferenceEqualityComparer.Instance);

    public OnnxMapContext(OnnxGraph graph, OnnxImportOptions options, ImportedNetwork network)
    {
        Graph = graph;
        Options = options;
        Network = network;
    }

    public OnnxGraph Graph { get; }

    public OnnxImportOptions Options { get; }

    public ImportedNetwork Network { get; }

    /// <summary>The batch dimension of run-time tensors: the fixed batch size or <see cref="ImportedTensor.DynamicBatch"/>.</summary>
    public long BatchDim => Options.BatchSize ?? ImportedTensor.DynamicBatch;

    /// <summary>True when tensors are taken whole as one batch item (<see cref="OnnxImportOptions.UnitBatch"/>): dimension 0 is an ordinary dimension.</summary>
    public bool UnitBatch => Options.UnitBatch;

    public void Define(string name, OnnxValue value) => _values[name] = value;

    public OnnxValue Value(OnnxNode node, int i)
    {
        string name = node.Input(i);
        return _values.TryGetValue(name, out var v) ? v
            : throw node.Error($"input '{name}' has no value (it is produced by a node the importer skipped).");
    }

    public bool IsConstant(OnnxNode node, int i) =>
        node.InputOrNull(i) is { } name && _values.GetValueOrDefault(name) is ConstantValue;

    /// <summary>True when every present input is a constant.</summary>
    public bool AllConstant(OnnxNode node) =>
        node.Inputs.Where(i => i.Length > 0).All(i => _values.GetValueOrDefault(i) is ConstantValue);

    /// <summary>Input <paramref name="i"/> as a constant; an error naming the node and <paramref name="what"/> otherwise.</summary>
    public ConstantValue Constant(OnnxNode node, int i, string what) =>
        Value(node, i) as ConstantValue
        ?? throw node.Unsupported($"{what} (input {i}, '{node.Input(i)}') must be a constant (an initializer or folded from constants)");

    /// <summary>Input <paramref name="i"/> as a constant, or null when the optional input is omitted.</summary>
    public ConstantValue? OptionalConstant(OnnxNode node, int i, string what) =>
        node.InputOrNull(i) is null ? null : Constant(node, i, what);

    /// <summary>Input <paramref name="i"/> as a run-time tensor (a constant becomes a Constant layer).</summary>
    public ImportedTensor Runtime(OnnxNode node, int i)
    {
        switch (Value(node, i))
        {
            case RuntimeValue r:
                return r.Tensor;
            case ConstantValue c:
                return Materialize(node, node.Input(i), c.Tensor);
            case QuantizedRuntimeValue q:
                throw node.Unsupported($"input '{node.Input(i)}' is the integer output of QuantizeLinear '{q.QuantizeNode}'; "
                    + "only a DequantizeLinear may read it (QDQ pairs)");
            default:
                throw node.Error($"input '{node.Input(i)}' has no value.");
        }
    }

    /// <summary>Adds one layer whose output is the node's output <paramref name="output"/> (index).</summary>
    public ImportedTensor AddLayer(OnnxNode node, LayerSpec spec, IReadOnlyList<ImportedTensor> inputs, long[] outputShape, int output = 0)
    {
        string name = node.Outputs.Count > output && node.Outputs[output].Length > 0 ? node.Outputs[output]
            : throw node.Error($"output {output} is missing.");
        return AddLayer(node, spec, inputs, outputShape, name);
    }

    /// <summary>Adds one layer with an explicit output tensor name (intermediate layers of a lowering).</summary>
    public ImportedTensor AddLayer(OnnxNode node, LayerSpec spec, IReadOnlyList<ImportedTensor> inputs, long[] outputShape, string outputName)
    {
        foreach (long d in outputShape)
        {
            if (d == 0 || (d < 0 && d != ImportedTensor.DynamicBatch))
            {
                throw node.Error($"the output shape {OnnxShapes.Format(outputShape)} has an empty or invalid dimension.");
            }
        }
        OnnxTensor.ElementCountChecked(outputShape.Select(d => Math.Abs(d)).ToArray(), 1L << 40, $"node {node.DisplayName}", outputName);
        var tensor = Network.NewTensor(outputName, outputShape);
        Network.AddLayer(new ImportedLayer(spec, inputs, tensor, node.DisplayName, node.OpType, node.Opset));
        _values[outputName] = new RuntimeValue(tensor);
        return tensor;
    }

    /// <summary>A fresh name for an intermediate tensor of a lowering.</summary>
    public string InternalName(OnnxNode node, string suffix) => $"{node.Outputs.FirstOrDefault(o => o.Length > 0) ?? node.DisplayName}/{suffix}";

    /// <summary>Marks a later node as mapped already (fused into an earlier one).</summary>
    public void MarkHandled(OnnxNode node) => _handled.Add(node);

    public bool IsHandled(OnnxNode node) => _handled.Contains(node);

    /// <summary>True when <paramref name="tensor"/> feeds exactly one node input and is not a graph output.</summary>
    public bool HasSingleConsumer(string tensor) => Graph.Consumers(tensor).Count == 1 && !Graph.IsGraphOutput(tensor);

    private ImportedTensor Materialize(OnnxNode node, string name, OnnxTensor value)
    {
        if (_materialized.TryGetValue(name, out var t))
        {
            return t;
        }
        if (!value.IsFloat)
        {
            throw node.Unsupported($"input '{name}' is a {value.DataType} constant used as a run-time tensor (only float tensors flow through layers)");
        }
        var tensor = Network.NewTensor(name, [.. value.Dims]);
        Network.AddLayer(new ImportedLayer(new ConstantSpec(value), [], tensor, node.DisplayName, node.OpType, node.Opset));
        _materialized[name] = tensor;
        return tensor;
    }
}
