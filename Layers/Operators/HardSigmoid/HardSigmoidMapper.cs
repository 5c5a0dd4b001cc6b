using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>ONNX HardSigmoid (opset 6 and later: attributes alpha = 0.2, beta = 0.5) → <see cref="HardSigmoidLayer"/>.</summary>
internal sealed class HardSigmoidMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["HardSigmoid"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    // Opset 6 dropped consumed_inputs; the definition has not changed since.
    public long? EarliestOpset(string opType) => 6;

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        if (HardSwishPattern.TryMap(node, context))
        {
            return;
        }

        var x = context.Runtime(node, 0);
        context.AddLayer(node, new HardSigmoidSpec(node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)), [x], [.. x.Shape]);
    }
}

/// <summary>y = max(0, min(1, alpha·x + beta)), element-wise.</summary>
/// <param name="Alpha">The slope.</param>
/// <param name="Beta">The offset.</param>
internal sealed record HardSigmoidSpec(float Alpha, float Beta) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "HardSigmoid";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Network.AddHardSigmoid(adapter.In(0), Alpha, Beta, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this;
}
