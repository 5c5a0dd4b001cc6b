using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the ChannelMultiply operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds y[c][h][w] = x[c][h][w]·s[c], <paramref name="scale"/> a run-time (C, 1, 1) tensor (squeeze-and-excitation).</summary>
    public ChannelMultiplyLayer AddChannelMultiply(Tensor input, Tensor scale, string? name = null) =>
        Add(new ChannelMultiplyLayer(LayerName(name, LayerType.ChannelMultiply), [input, scale]));
}
