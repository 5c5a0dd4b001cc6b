using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// y[c][h][w] = x[c][h][w]·s[c]: a (C, H, W) tensor scaled per channel by a run-time (C, 1, 1) tensor of the same item
/// (squeeze-and-excitation in MobileNetV3 and EfficientNet: ONNX Mul of [N, C, H, W] by [N, C, 1, 1]). FP32 only: in an
/// INT8 engine the builder runs it in float between quantize/dequantize steps.
/// </summary>
public sealed class ChannelMultiplyLayer : Layer
{
    internal ChannelMultiplyLayer(string name, IEnumerable<Tensor> inputs)
        : base(name, inputs)
    {
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.ChannelMultiply;

    /// <inheritdoc />
    internal override string? Int8Limit => $"layer type {Type} has no INT8 kernel";

    /// <inheritdoc />
    // y[c][h][w] = x[c][h][w]·s[c], one item (NCHW).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        float[] x = inputs[0], s = inputs[1];
        int plane = dims[0].H * dims[0].W;
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * s[i / plane];
        }

        return y;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 2);
        if (inputs[1] != new TensorDims(inputs[0].C, 1, 1))
        {
            throw Error($"the scale must be ({inputs[0].C}, 1, 1), one value per channel of {inputs[0]}; it is {inputs[1]}.");
        }

        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ChannelMultiplyLayer Read(string name, BinaryReader r) => new(name, []);
}
