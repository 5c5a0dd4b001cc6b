using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the FullyConnected operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a fully connected layer; weights [K][C·H·W] (NCHW flatten order), bias K values or null.</summary>
    public FullyConnectedLayer AddFullyConnected(Tensor input, int outputs, float[] weights, float[]? bias = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Add(new FullyConnectedLayer(LayerName(name, LayerType.FullyConnected), [input], outputs, Copy(weights)!, Copy(bias)));
    }
}
