using ILGPUInt8.Layers.Network;
using NetScaleMode = ILGPUInt8.Layers.Operators.ScaleMode;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>A scale (a folded batch norm, a constant Mul/Add chain) → a scale layer.</summary>
public sealed partial record ScaleSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) =>
        adapter.Network.AddScale(adapter.In(0), NetMode(Mode), Scale, Shift, Power, name);

    // Per tensor: the same; per element of an item [d1, …]: the coefficients repeat d0 times over the item [d0, d1, …].
    internal override LayerSpec? WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => Mode switch
    {
        ScaleMode.PerTensor => this,
        ScaleMode.PerElement when inputShapes[0][0] > 0 => this with
        {
            Scale = Repeat(Scale, inputShapes[0][0]),
            Shift = Repeat(Shift, inputShapes[0][0]),
            Power = Power is null ? null : Repeat(Power, inputShapes[0][0]),
        },
        _ => null,
    };

    private static float[] Repeat(float[] v, long times) => v.Length <= 1 ? v : [.. Enumerable.Repeat(v, (int)times).SelectMany(a => a)];

    private static NetScaleMode NetMode(ScaleMode m) => m switch
    {
        ScaleMode.PerTensor => NetScaleMode.Uniform,
        ScaleMode.PerChannel => NetScaleMode.Channel,
        ScaleMode.PerElement => NetScaleMode.Elementwise,
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "Unknown scale mode."),
    };
}
