using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Concatenation operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a concatenation along channels.</summary>
    public ConcatenationLayer AddConcatenation(IReadOnlyList<Tensor> inputs, string? name = null) => AddConcatenation(inputs, ItemAxis.Channel, name);

    /// <summary>Adds a concatenation along <paramref name="axis"/> (the inputs agree on the other two dimensions).</summary>
    public ConcatenationLayer AddConcatenation(IReadOnlyList<Tensor> inputs, ItemAxis axis, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Add(new ConcatenationLayer(LayerName(name, LayerType.Concatenation), inputs, axis));
    }
}
