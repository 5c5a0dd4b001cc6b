using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the ElementWise operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a sum, product or max of two tensors of equal dimensions.</summary>
    public ElementWiseLayer AddElementWise(Tensor a, Tensor b, ElementWiseOperation operation, string? name = null) =>
        Add(new ElementWiseLayer(LayerName(name, LayerType.ElementWise), [a, b], operation));
}
