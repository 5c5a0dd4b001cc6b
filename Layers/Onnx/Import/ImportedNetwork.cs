using System.Globalization;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// A tensor of an <see cref="ImportedNetwork"/>. <see cref="Shape"/> has the batch at dimension 0 and
/// <see cref="DynamicBatch"/> (−1) there when the batch is dynamic; constants have no batch dimension.
/// </summary>
public sealed class ImportedTensor
{
    internal ImportedTensor(int id, string name, long[] shape)
    {
        Id = id;
        Name = name;
        Shape = shape;
    }

    /// <summary>The dynamic batch marker in <see cref="Shape"/>.</summary>
    public const long DynamicBatch = -1;

    /// <summary>Position in the network's tensor list.</summary>
    public int Id { get; }

    /// <summary>The ONNX tensor name.</summary>
    public string Name { get; }

    /// <summary>Dimensions; dimension 0 may be <see cref="DynamicBatch"/>.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Elements of one batch item (the product of dimensions 1..).</summary>
    public long ItemVolume => Shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape with the batch dimension set to <paramref name="batch"/>.</summary>
    public long[] WithBatch(long batch)
    {
        var s = Shape.ToArray();
        if (s.Length > 0 && s[0] == DynamicBatch)
        {
            s[0] = batch;
        }
        return s;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}[{string.Join(", ", Shape.Select(d => d == DynamicBatch ? "N" : d.ToString(CultureInfo.InvariantCulture)))}]";
}

/// <summary>One imported layer: what it computes, its inputs, its output and the ONNX node it came from.</summary>
/// <param name="Spec">The computation.</param>
/// <param name="Inputs">Input tensors in order.</param>
/// <param name="Output">The output tensor.</param>
/// <param name="SourceNode">The ONNX node (its display name) the layer implements.</param>
/// <param name="OpType">The ONNX operator of that node.</param>
/// <param name="Opset">The opset the node was read with.</param>
public sealed record ImportedLayer(LayerSpec Spec, IReadOnlyList<ImportedTensor> Inputs, ImportedTensor Output, string SourceNode,
    string OpType = "", long Opset = 0)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Spec.Kind} '{SourceNode}' ({string.Join(", ", Inputs.Select(i => i.ToString()))}) -> {Output}";
}

/// <summary>
/// An ONNX graph mapped onto layers: the thin, device-free form that the network adapter turns into a
/// <c>NetworkDefinition</c> and that the scalar reference interpreter runs. Also carries the ranges
/// taken from QDQ pairs and the notes the import made (asymmetric ranges it could not take exactly).
/// </summary>
public sealed class ImportedNetwork
{
    private readonly List<ImportedTensor> _tensors = [];
    private readonly List<ImportedLayer> _layers = [];
    private readonly List<ImportedTensor> _inputs = [];
    private readonly List<ImportedTensor> _outputs = [];
    private readonly Dictionary<string, float> _ranges = new(StringComparer.Ordinal);
    private readonly List<string> _notes = [];

    /// <summary>Network inputs (fed at run time), in graph order.</summary>
    public IReadOnlyList<ImportedTensor> Inputs => _inputs;

    /// <summary>Layers in execution order.</summary>
    public IReadOnlyList<ImportedLayer> Layers => _layers;

    /// <summary>Network outputs, in graph order.</summary>
    public IReadOnlyList<ImportedTensor> Outputs => _outputs;

    /// <summary>All tensors by id.</summary>
    public IReadOnlyList<ImportedTensor> Tensors => _tensors;

    /// <summary>Symmetric INT8 thresholds T (values in [−T, T]) by tensor name, from the model's QDQ pairs.</summary>
    public IReadOnlyDictionary<string, float> DynamicRanges => _ranges;

    /// <summary>What the import reports without failing (asymmetric QDQ ranges widened to symmetric, ignored hints).</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>The ONNX opset the model was read with.</summary>
    public long Opset { get; internal set; }

    internal ImportedTensor NewTensor(string name, long[] shape)
    {
        var t = new ImportedTensor(_tensors.Count, name, shape);
        _tensors.Add(t);
        return t;
    }

    internal void AddInput(ImportedTensor t) => _inputs.Add(t);

    internal void AddOutput(ImportedTensor t) => _outputs.Add(t);

    internal void AddLayer(ImportedLayer layer) => _layers.Add(layer);

    internal void SetRange(string tensor, float threshold) => _ranges[tensor] = threshold;

    internal void Note(string note) => _notes.Add(note);

    /// <summary>True when every tensor is taken whole as one batch item (<see cref="OnnxImportOptions.UnitBatch"/>): shapes are [1, d0, d1, …].</summary>
    public bool UnitBatch { get; private set; }

    /// <summary>
    /// The same network on tensors taken whole as one item of batch 1: every run-time tensor [d0, …] becomes [1, d0, …]
    /// (constants keep theirs: they broadcast right-aligned), every spec moves its axes by one
    /// (<see cref="LayerSpec.WithUnitBatch"/>); a spec that needs a batch of items is an error naming its node.
    /// </summary>
    internal ImportedNetwork WithUnitBatch()
    {
        var r = new ImportedNetwork { Opset = Opset, UnitBatch = true };
        var constants = _layers.Where(l => l.Spec is ConstantSpec).Select(l => l.Output.Id).ToHashSet();
        foreach (var t in _tensors)
        {
            r.NewTensor(t.Name, constants.Contains(t.Id) ? [.. t.Shape] : [1, .. t.Shape]);
        }

        foreach (var l in _layers)
        {
            var spec = l.Spec.WithUnitBatch([.. l.Inputs.Select(i => i.Shape)])
                ?? throw new OnnxImportException(
                    $"not supported with the tensors taken whole as one batch item: {l.Spec.Kind} needs dimension 0 as a batch of items.",
                    null, l.OpType.Length > 0 ? l.OpType : l.Spec.Kind, l.SourceNode, l.Opset);
            r.AddLayer(l with { Spec = spec, Inputs = [.. l.Inputs.Select(i => r._tensors[i.Id])], Output = r._tensors[l.Output.Id] });
        }

        r._inputs.AddRange(_inputs.Select(i => r._tensors[i.Id]));
        r._outputs.AddRange(_outputs.Select(o => r._tensors[o.Id]));
        foreach (var (k, v) in _ranges)
        {
            r._ranges[k] = v;
        }

        r._notes.AddRange(_notes);
        return r;
    }

    /// <summary>A readable listing of the layers (for logs and test failures).</summary>
    public string Describe() => string.Join(Environment.NewLine,
        _inputs.Select(i => $"input {i}").Concat(_layers.Select(l => l.ToString())).Concat(_outputs.Select(o => $"output {o}")));
}
