using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Slice operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds y[j] = x[start + j·step], j in [0, length), along <paramref name="axis"/> (the other axes whole).</summary>
    public SliceLayer AddSlice(Tensor input, ItemAxis axis, int start, int length, int step = 1, string? name = null) =>
        Add(new SliceLayer(LayerName(name, LayerType.Slice), [input], axis, start, length, step));
}
