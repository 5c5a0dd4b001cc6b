using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>Concat of run-time tensors → <see cref="ConcatenationSpec"/> along a non-batch axis.</summary>
internal sealed class ConcatMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Concat"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var inputs = new List<ImportedTensor>();
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            if (context.IsConstant(node, i))
            {
                throw node.Unsupported($"concatenating the constant '{node.Input(i)}' with run-time tensors");
            }
            inputs.Add(context.Runtime(node, i));
        }
        if (inputs.Count == 0)
        {
            throw node.Error("there are no inputs.");
        }
        int rank = inputs[0].Shape.Count;
        long? axisAttribute = node.GetIntOrNull("axis");
        if (axisAttribute is null && node.Opset >= 4)
        {
            throw node.Error("attribute 'axis' is required.");
        }
        int axis = OnnxShapes.Axis(node, axisAttribute ?? 1, rank);
        if (axis == 0 && !context.UnitBatch)
        {
            throw node.Unsupported("concatenation along the batch dimension (axis 0)");
        }
        var shape = inputs[0].Shape.ToArray();
        shape[axis] = 0;
        foreach (var t in inputs)
        {
            if (t.Shape.Count != rank || Enumerable.Range(0, rank).Any(d => d != axis && t.Shape[d] != inputs[0].Shape[d]))
            {
                throw node.Error($"input {t} does not match {inputs[0]} outside axis {axis}.");
            }
            shape[axis] += t.Shape[axis];
        }
        context.AddLayer(node, new ConcatenationSpec(axis), inputs, shape);
    }
}

/// <summary>Concat → a concatenation layer.</summary>
public sealed partial record ConcatenationSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Concatenation(this, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this with { Axis = Axis + 1 };
}
