using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Pad (constant mode) → <see cref="PaddingSpec"/>. Before opset 11 pads and value are attributes; from 11 they are
/// inputs (pads int64 [begin…, end…], constant_value optional), from 18 an optional axes input selects dimensions.
/// </summary>
internal sealed class PadMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Pad"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [1, 2, 3];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        int rank = x.Shape.Count;
        string mode = node.GetString("mode", "constant");
        if (mode != "constant")
        {
            throw node.Unsupported($"mode '{mode}' (only constant padding)");
        }
        long[] pads;
        float value;
        int[] axes = [.. Enumerable.Range(0, rank)];
        if (node.Opset < 11)
        {
            pads = node.GetInts("pads") ?? throw node.Error("attribute 'pads' is required.");
            value = node.GetFloat("value", 0f);
        }
        else
        {
            var p = context.Constant(node, 1, "the pads").Tensor;
            pads = p.IsFloat ? throw node.Error("pads must be integers.") : p.ToInt64Array();
            var v = context.OptionalConstant(node, 2, "the constant value");
            value = v is null ? 0f : v.Tensor.ElementCount == 1 ? v.Tensor.ToFloatArray()[0] : throw node.Error("constant_value must be a scalar.");
            if (context.OptionalConstant(node, 3, "the axes") is { } a)
            {
                axes = [.. a.Tensor.ToInt64Array().Select(ax => OnnxShapes.Axis(node, ax, rank))];
            }
        }
        if (pads.Length != 2 * axes.Length)
        {
            throw node.Error($"pads has {pads.Length} values; {2 * axes.Length} are needed.");
        }
        var begin = new int[rank];
        var end = new int[rank];
        for (int i = 0; i < axes.Length; i++)
        {
            long b = pads[i], e = pads[i + axes.Length];
            if (b < 0 || e < 0 || b > 1 << 20 || e > 1 << 20)
            {
                throw node.Unsupported($"pads [{string.Join(", ", pads)}] (negative padding crops; absurd padding is refused)");
            }
            begin[axes[i]] = (int)b;
            end[axes[i]] = (int)e;
        }
        if (begin[0] != 0 || end[0] != 0)
        {
            throw node.Unsupported("padding the batch dimension");
        }
        var shape = x.Shape.Select((d, i) => i == 0 ? d : d + begin[i] + end[i]).ToArray();
        context.AddLayer(node, new PaddingSpec(begin, end, value), [x], shape);
    }
}

/// <summary>Pad → a spatial padding layer.</summary>
public sealed partial record PaddingSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Padding(this, adapter.In(0), name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this with { Begin = [0, .. Begin], End = [0, .. End] };
}
