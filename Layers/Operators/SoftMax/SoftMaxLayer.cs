using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Softmax along one item axis (channels by default): y_j = exp(x_j − max) / Σ_k exp(x_k − max) over the values along
/// <see cref="Axis"/>. Float output; along channels an INT8 input goes through an exact exp table built from its scale
/// (along H or W the layer runs FP32).
/// </summary>
public sealed class SoftMaxLayer : Layer
{
    internal SoftMaxLayer(string name, IEnumerable<Tensor> inputs, ItemAxis axis = ItemAxis.Channel)
        : base(name, inputs)
    {
        Axis = Enum.IsDefined(axis) ? axis : throw new ArgumentOutOfRangeException(nameof(axis), axis, "Unknown axis.");
    }

    /// <summary>The axis the softmax normalizes along.</summary>
    public ItemAxis Axis { get; }

    /// <inheritdoc />
    public override LayerType Type => LayerType.SoftMax;

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer) => writer.Write((int)Axis);

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static SoftMaxLayer Read(string name, BinaryReader r) => new(name, [], r.ReadEnum<ItemAxis>());

    /// <inheritdoc />
    internal override string? Int8Limit => Axis == ItemAxis.Channel ? null : $"softmax along {Axis} has no INT8 kernel (only along channels)";

    /// <inheritdoc />
    internal override bool Int8OutputIsFloat => true;

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => Int8Limit;

    /// <inheritdoc />
    internal override float? IntegerOnlyOutputThreshold => Kernels.IntegerOnly.IntegerSoftMax.OutputThreshold;
}
