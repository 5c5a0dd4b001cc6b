using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>What a <see cref="ConvertLayer"/> does (its engine-file byte: 0 and 1 are the bool of older files).</summary>
internal enum ConvertKind : byte
{
    /// <summary>int8 → float: x = q · s.</summary>
    Dequantize = 0,

    /// <summary>float → int8: q = clamp(round_half_even(x · (1/s)), −127, 127).</summary>
    Quantize = 1,

    /// <summary>
    /// float → FP16: h = HalfConvert.FromFloat(x) (round-to-nearest-even), stored as 2-byte halves; in engine files before
    /// version 9 the output is float words, x = HalfConvert.Round(x).
    /// </summary>
    ToHalf = 2,

    /// <summary>2-byte halves → float: x = HalfConvert.ToFloat(h) (exact), for an FP32 or INT8 step reading an FP16 tensor.</summary>
    FromHalf = 3,
}

/// <summary>
/// A precision conversion the builder inserts at a boundary between FP32, FP16 and INT8 steps: quantize (float → int8
/// with the tensor's scale, q = clamp(round_half_even(x · (1/s)), −127, 127)), dequantize (x = q · s), the rounding of
/// float values to the halves an FP16 step reads (a float input, an FP32 step's output), or the halves widened back to
/// floats for an FP32 or INT8 reader. Not part of the public API.
/// </summary>
internal sealed class ConvertLayer : Layer
{
    internal ConvertLayer(string name, ConvertKind kind)
        : base(name, [])
    {
        Kind = kind;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Convert;

    /// <summary>The conversion.</summary>
    public ConvertKind Kind { get; }

    /// <summary>True for quantize.</summary>
    public bool ToInt8 => Kind == ConvertKind.Quantize;

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer) => writer.Write((byte)Kind);

    /// <summary>Reads what <see cref="WriteParameters"/> wrote (a bool in files before version 6: the same bytes 0 and 1).</summary>
    internal static ConvertLayer Read(string name, BinaryReader r)
    {
        var kind = r.ReadByte();
        return kind <= (byte)ConvertKind.FromHalf ? new(name, (ConvertKind)kind) : throw new InvalidDataException($"Convert step '{name}' has unknown kind {kind}.");
    }

    /// <inheritdoc />
    internal override string? Int8Limit => $"layer type {Type} has no INT8 kernel";
}
