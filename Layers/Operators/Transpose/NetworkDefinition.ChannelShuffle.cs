using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the channel shuffle (Transpose) operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a channel shuffle: channels [g][C/g] transposed to [C/g][g] (ShuffleNet).</summary>
    public ChannelShuffleLayer AddChannelShuffle(Tensor input, int groups, string? name = null) =>
        Add(new ChannelShuffleLayer(LayerName(name, LayerType.ChannelShuffle), [input], groups));
}
