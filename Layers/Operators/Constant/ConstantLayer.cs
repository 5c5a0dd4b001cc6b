using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// A constant tensor (C, H, W), the same for every batch item (values in NCHW order). Layers whose inputs are all constant
/// are folded by the builder; a constant may be the second operand of an element-wise layer.
/// </summary>
public sealed class ConstantLayer : Layer
{
    internal ConstantLayer(string name, TensorDims dims, float[] values)
        : base(name, [])
    {
        Dims = dims;
        ValueArray = values;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Constant;

    /// <summary>The dimensions.</summary>
    public TensorDims Dims { get; }

    /// <summary>The values in NCHW order.</summary>
    public ReadOnlyMemory<float> Values => ValueArray;

    internal float[] ValueArray { get; }

    /// <inheritdoc />
    internal override float[] ConstantValues => ValueArray;

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 0);
        if (!Dims.IsValid)
        {
            throw Error($"dimensions {Dims} must be positive.");
        }

        CheckArray(ValueArray, Dims.Volume, $"values of {Dims}");
        return Dims;
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(Dims);
        writer.WriteArray(ValueArray);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ConstantLayer Read(string name, BinaryReader r)
    {
        var dims = r.ReadDims();
        return new ConstantLayer(name, dims, r.ReadFloatArray() ?? throw new InvalidDataException("Constant values are missing."));
    }
}
