using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Reshape operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds (C, H, W) → (C·H·W, 1, 1).</summary>
    public ReshapeLayer AddFlatten(Tensor input, string? name = null) => Add(new ReshapeLayer(LayerName(name, LayerType.Flatten), [input], null));

    /// <summary>Adds a reshape to <paramref name="dims"/> (same volume, C-order).</summary>
    public ReshapeLayer AddReshape(Tensor input, TensorDims dims, string? name = null) => Add(new ReshapeLayer(LayerName(name, LayerType.Reshape), [input], dims));
}
