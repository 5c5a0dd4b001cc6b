using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Convolution operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a convolution; weights KCRS [K][C/groups][R][S], bias K values or null.</summary>
    public ConvolutionLayer AddConvolution(
        Tensor input, int outputChannels, Size2 kernel, float[] weights, float[]? bias = null,
        Size2? stride = null, Size2? padding = null, Size2? dilation = null, int groups = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Add(new ConvolutionLayer(
            LayerName(name, LayerType.Convolution), [input], outputChannels, kernel, Copy(weights)!, Copy(bias),
            stride ?? 1, padding ?? 0, dilation ?? 1, groups));
    }
}
