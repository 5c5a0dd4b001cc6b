using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the BatchNormalization operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds inference batch normalization (per channel).</summary>
    public BatchNormLayer AddBatchNormalization(Tensor input, float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon = 1e-5f, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        return Add(new BatchNormLayer(LayerName(name, LayerType.BatchNormalization), [input], Copy(mean)!, Copy(variance)!, Copy(gamma)!, Copy(beta)!, epsilon));
    }
}
