using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Activation operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds an activation: alpha is the leaky slope or clip minimum, beta the clip maximum.</summary>
    public ActivationLayer AddActivation(Tensor input, ActivationKind kind, float alpha = 0f, float beta = 0f, string? name = null) =>
        Add(new ActivationLayer(LayerName(name, LayerType.Activation), [input], Spec(kind, alpha, beta)));
}
