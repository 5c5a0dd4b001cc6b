using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Softmax → <see cref="SoftMaxSpec"/>. Opset 13+: along one axis (default −1). Before 13: the input is seen as
/// 2-D [d0·…·d(axis−1), d(axis)·…] (axis default 1) and normalized along the second; unless axis is the last
/// dimension this becomes Reshape → SoftMax → Reshape.
/// </summary>
internal sealed class SoftmaxMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Softmax"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        int rank = x.Shape.Count;
        bool legacy = node.Opset < 13;
        int axis = OnnxShapes.Axis(node, node.GetInt("axis", legacy ? 1 : -1), rank);
        if (axis == 0 && !context.UnitBatch)
        {
            throw node.Unsupported("softmax across the batch dimension (axis 0)");
        }
        if (!legacy || axis == rank - 1)
        {
            context.AddLayer(node, new SoftMaxSpec(axis), [x], [.. x.Shape]);
            return;
        }
        long[] flat = [.. x.Shape.Take(axis), OnnxShapes.Product(x.Shape, axis)];
        var view = context.AddLayer(node, new ReshapeSpec(), [x], flat, context.InternalName(node, "flat"));
        var soft = context.AddLayer(node, new SoftMaxSpec(axis), [view], flat, context.InternalName(node, "softmax"));
        context.AddLayer(node, new ReshapeSpec(), [soft], [.. x.Shape]);
    }
}

/// <summary>Softmax → a softmax layer along the item axis it names.</summary>
public sealed partial record SoftMaxSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.SoftMax(this, adapter.In(0), name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this with { Axis = Axis + 1 };
}
