using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Padding operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds constant padding: <paramref name="prePadding"/> = (top, left), <paramref name="postPadding"/> = (bottom, right).</summary>
    public PaddingLayer AddPadding(Tensor input, Size2 prePadding, Size2 postPadding, float value = 0f, string? name = null) =>
        Add(new PaddingLayer(LayerName(name, LayerType.Padding), [input], prePadding, postPadding, value));
}
