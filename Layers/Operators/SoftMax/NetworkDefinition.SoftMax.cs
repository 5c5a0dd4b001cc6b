using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the SoftMax operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a softmax across channels.</summary>
    public SoftMaxLayer AddSoftMax(Tensor input, string? name = null) => AddSoftMax(input, ItemAxis.Channel, name);

    /// <summary>Adds a softmax along <paramref name="axis"/> (FP32 only unless along channels).</summary>
    public SoftMaxLayer AddSoftMax(Tensor input, ItemAxis axis, string? name = null) =>
        Add(new SoftMaxLayer(LayerName(name, LayerType.SoftMax), [input], axis));
}
