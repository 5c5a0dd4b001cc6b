using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// A precision conversion the builder inserts at an FP32/INT8 boundary: quantize (float → int8 with the tensor's scale,
/// q = clamp(round_half_even(x · (1/s)), −127, 127)) or dequantize (x = q · s). Not part of the public API.
/// </summary>
internal sealed class ConvertLayer : Layer
{
    internal ConvertLayer(string name, bool toInt8)
        : base(name, [])
    {
        ToInt8 = toInt8;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Convert;

    /// <summary>True for quantize, false for dequantize.</summary>
    public bool ToInt8 { get; }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer) => writer.Write(ToInt8);

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ConvertLayer Read(string name, BinaryReader r) => new(name, r.ReadBoolean());

    /// <inheritdoc />
    internal override string? Int8Limit => $"layer type {Type} has no INT8 kernel";
}
