using ILGPUInt8.Layers.Network;
using NetScaleMode = ILGPUInt8.Layers.Operators.ScaleMode;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>A scale (a folded batch norm, a constant Mul/Add chain) → a scale layer.</summary>
public sealed partial record ScaleSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) =>
        adapter.Network.AddScale(adapter.In(0), NetMode(Mode), Scale, Shift, Power, name);

    private static NetScaleMode NetMode(ScaleMode m) => m switch
    {
        ScaleMode.PerTensor => NetScaleMode.Uniform,
        ScaleMode.PerChannel => NetScaleMode.Channel,
        ScaleMode.PerElement => NetScaleMode.Elementwise,
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "Unknown scale mode."),
    };
}
