using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Relu, LeakyRelu, Sigmoid, Tanh, Clip → <see cref="ActivationLayerSpec"/>. Clip takes its bounds from the
/// min/max attributes before opset 11 and from optional constant inputs from opset 11 (absent: ∓∞).
/// </summary>
internal sealed class ActivationMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => node.OpType == "Clip" ? [1, 2] : [];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        ActivationLayerSpec? spec = node.OpType switch
        {
            "Relu" => new ActivationLayerSpec(OnnxActivation.Relu),
            "LeakyRelu" => new ActivationLayerSpec(OnnxActivation.LeakyRelu, node.GetFloat("alpha", 0.01f)),
            "Sigmoid" when SiluPattern.TryMap(node, context) => null,
            "Sigmoid" => new ActivationLayerSpec(OnnxActivation.Sigmoid),
            "Tanh" => new ActivationLayerSpec(OnnxActivation.Tanh),
            _ => Clip(node, context),
        };
        if (spec is not null)
        {
            context.AddLayer(node, spec, [x], [.. x.Shape]);
        }
    }

    private static ActivationLayerSpec Clip(OnnxNode node, OnnxMapContext context)
    {
        float min, max;
        if (node.Opset < 11)
        {
            min = node.GetFloat("min", float.NegativeInfinity);
            max = node.GetFloat("max", float.PositiveInfinity);
        }
        else
        {
            min = Bound(node, context, 1, "min") ?? float.NegativeInfinity;
            max = Bound(node, context, 2, "max") ?? float.PositiveInfinity;
        }
        if (float.IsNaN(min) || float.IsNaN(max))
        {
            throw node.Error("a Clip bound is NaN.");
        }
        return new ActivationLayerSpec(OnnxActivation.Clip, min, max);
    }

    private static float? Bound(OnnxNode node, OnnxMapContext context, int i, string what)
    {
        var c = context.OptionalConstant(node, i, what);
        if (c is null)
        {
            return null;
        }
        return c.Tensor.ElementCount == 1 ? c.Tensor.ToFloatArray()[0]
            : throw node.Error($"{what} must be a scalar; it has {c.Tensor.ElementCount} values.");
    }
}

/// <summary>An ONNX activation → an activation layer.</summary>
public sealed partial record ActivationLayerSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) =>
        adapter.Network.AddActivation(adapter.In(0), EngineKind(Function), Alpha, Beta, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this;

    private static ActivationKind EngineKind(OnnxActivation f) => f switch
    {
        OnnxActivation.Relu => ActivationKind.Relu,
        OnnxActivation.LeakyRelu => ActivationKind.LeakyRelu,
        OnnxActivation.Sigmoid => ActivationKind.Sigmoid,
        OnnxActivation.Tanh => ActivationKind.Tanh,
        OnnxActivation.Clip => ActivationKind.Clip,
        OnnxActivation.HardSwish => ActivationKind.HardSwish,
        OnnxActivation.Silu => ActivationKind.Silu,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "Unknown activation."),
    };
}
