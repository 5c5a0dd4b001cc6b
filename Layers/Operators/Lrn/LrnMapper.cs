using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>LRN → <see cref="LrnSpec"/> (size required; alpha 1e-4, beta 0.75, bias 1 by default).</summary>
internal sealed class LrnMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["LRN"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        if (x.Shape.Count < 3)
        {
            throw node.Error($"input {OnnxShapes.Format(x.Shape)} needs at least N, C and one spatial dimension.");
        }
        long size = node.GetIntOrNull("size") ?? throw node.Error("attribute 'size' is required.");
        if (size <= 0 || size > 1 << 16)
        {
            throw node.Error($"size {size} is out of range.");
        }
        var spec = new LrnSpec((int)size, node.GetFloat("alpha", 1e-4f), node.GetFloat("beta", 0.75f), node.GetFloat("bias", 1f));
        context.AddLayer(node, spec, [x], [.. x.Shape]);
    }
}

/// <summary>LRN → a local response normalization layer.</summary>
public sealed partial record LrnSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) =>
        adapter.Network.AddLrn(adapter.In(0), Size, Alpha, Beta, Bias, name);
}
