using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the general transpose operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>
    /// Adds a transpose of each item: its C-order elements seen as <paramref name="shape"/> are permuted by
    /// <paramref name="perm"/> (output dimension k is input dimension perm[k]) into an item of <paramref name="outputDims"/>.
    /// </summary>
    public TransposeLayer AddTranspose(Tensor input, IReadOnlyList<int> shape, IReadOnlyList<int> perm, TensorDims outputDims, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(perm);
        return Add(new TransposeLayer(LayerName(name, LayerType.Transpose), [input], [.. shape], [.. perm], outputDims));
    }
}
