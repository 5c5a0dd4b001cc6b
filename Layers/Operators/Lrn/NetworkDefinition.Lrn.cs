using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Lrn operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds LRN across channels.</summary>
    public LrnLayer AddLrn(Tensor input, int window, float alpha, float beta, float k, string? name = null) =>
        Add(new LrnLayer(LayerName(name, LayerType.Lrn), [input], window, alpha, beta, k));
}
