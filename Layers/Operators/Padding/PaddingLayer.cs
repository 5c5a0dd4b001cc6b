using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Constant spatial padding: (C, H, W) → (C, H + top + bottom, W + left + right), new positions = value.</summary>
public sealed class PaddingLayer : Layer
{
    internal PaddingLayer(string name, IEnumerable<Tensor> inputs, Size2 prePadding, Size2 postPadding, float value)
        : base(name, inputs)
    {
        PrePadding = prePadding;
        PostPadding = postPadding;
        Value = value;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Padding;

    /// <summary>Rows on top (H) and columns on the left (W).</summary>
    public Size2 PrePadding { get; }

    /// <summary>Rows at the bottom (H) and columns on the right (W).</summary>
    public Size2 PostPadding { get; }

    /// <summary>The padding value (in INT8: quantized with the tensor's scale).</summary>
    public float Value { get; }

    /// <inheritdoc />
    // y[c][h + top][w + left] = x[c][h][w], the value elsewhere.
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        float[] x = inputs[0];
        var d = dims[0];
        int oh = d.H + PrePadding.H + PostPadding.H, ow = d.W + PrePadding.W + PostPadding.W;
        var y = new float[(long)d.C * oh * ow];
        Array.Fill(y, Value);
        for (var c = 0; c < d.C; c++)
        {
            for (var h = 0; h < d.H; h++)
            {
                Array.Copy(x, ((c * d.H) + h) * d.W, y, ((((long)c * oh) + h + PrePadding.H) * ow) + PrePadding.W, d.W);
            }
        }

        return y;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (PrePadding.H < 0 || PrePadding.W < 0 || PostPadding.H < 0 || PostPadding.W < 0 || !float.IsFinite(Value))
        {
            throw Error($"padding ({PrePadding}, {PostPadding}) must be ≥ 0 and the value finite.");
        }

        return new TensorDims(inputs[0].C, inputs[0].H + PrePadding.H + PostPadding.H, inputs[0].W + PrePadding.W + PostPadding.W);
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(PrePadding);
        writer.Write(PostPadding);
        writer.Write(Value);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static PaddingLayer Read(string name, BinaryReader r) => new(name, [], r.ReadSize2(), r.ReadSize2(), r.ReadSingle());

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => true;

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;
}
