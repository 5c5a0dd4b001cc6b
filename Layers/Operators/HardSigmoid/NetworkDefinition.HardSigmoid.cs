using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the HardSigmoid operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a hard sigmoid y = max(0, min(1, alpha·x + beta)).</summary>
    public HardSigmoidLayer AddHardSigmoid(Tensor input, float alpha = 0.2f, float beta = 0.5f, string? name = null) =>
        Add(new HardSigmoidLayer(LayerName(name, LayerType.HardSigmoid), [input], alpha, beta));
}
