namespace ILGPUInt8.Layers;

/// <summary>
/// Softmax across channels: y_c = exp(x_c − max) / Σ_j exp(x_j − max) at every (h, w). Float output; an INT8 input goes
/// through an exact exp table built from its scale.
/// </summary>
public sealed class SoftMaxLayer : Layer
{
    internal SoftMaxLayer(string name, IEnumerable<Tensor> inputs)
        : base(name, inputs)
    {
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.SoftMax;

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static SoftMaxLayer Read(string name, BinaryReader r) => new(name, []);
}
