using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Scale operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds y = (x·scale + shift)^power; null arrays mean scale 1, shift 0, power 1.</summary>
    public ScaleLayer AddScale(Tensor input, ScaleMode mode, float[]? scale, float[]? shift = null, float[]? power = null, string? name = null) =>
        Add(new ScaleLayer(LayerName(name, LayerType.Scale), [input], mode, Copy(scale), Copy(shift), Copy(power)));
}
