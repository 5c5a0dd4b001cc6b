using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Constant operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a constant tensor (values NCHW, the same for every batch item).</summary>
    public ConstantLayer AddConstant(TensorDims dims, float[] values, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Add(new ConstantLayer(LayerName(name, LayerType.Constant), dims, Copy(values)!));
    }
}
