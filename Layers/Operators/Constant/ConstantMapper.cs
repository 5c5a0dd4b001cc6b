using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>Constant → a constant value (value tensor, or value_float(s) / value_int(s) from opset 12).</summary>
internal sealed class ConstantMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Constant"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        string name = node.Outputs.Count > 0 && node.Outputs[0].Length > 0 ? node.Outputs[0] : throw node.Error("output 0 is missing.");
        OnnxTensor value;
        if (node.GetTensor("value") is { } t)
        {
            value = t.WithShape(name, t.Dims);
        }
        else if (node.GetFloatOrNull("value_float") is { } f)
        {
            value = OnnxTensor.FromFloats(name, [], [f]);
        }
        else if (node.GetFloats("value_floats") is { } fs)
        {
            value = OnnxTensor.FromFloats(name, [fs.Length], fs);
        }
        else if (node.GetIntOrNull("value_int") is { } i)
        {
            value = OnnxTensor.FromIntegers(name, [], [i]);
        }
        else if (node.GetInts("value_ints") is { } ints)
        {
            value = OnnxTensor.FromIntegers(name, [ints.Length], ints);
        }
        else
        {
            throw node.Unsupported("a Constant without a value, value_float(s) or value_int(s) attribute (sparse and string values)");
        }
        context.Define(name, new ConstantValue(value));
    }
}

/// <summary>A constant adds no layer: it is materialized where it is read, in the shape its reader needs.</summary>
public sealed partial record ConstantSpec
{
    internal override Layer? AddTo(OnnxNetworkAdapter adapter, string name)
    {
        adapter.DeferConstant(this);
        return null;
    }

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this;
}
