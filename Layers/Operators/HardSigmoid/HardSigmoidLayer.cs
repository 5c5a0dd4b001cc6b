using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Hard sigmoid, y = max(0, min(1, alpha·x + beta)) (ONNX HardSigmoid: alpha 0.2, beta 0.5 by default). FP32, except in
/// an integer-only engine: there it is an int8 table built with integers
/// (<see cref="Kernels.IntegerOnly.IntegerActivation.HardSigmoidTable"/>); an INT8 engine without integer-only math runs
/// it in float between quantize/dequantize steps.
/// </summary>
public sealed class HardSigmoidLayer : Layer
{
    internal HardSigmoidLayer(string name, IEnumerable<Tensor> inputs, float alpha, float beta)
        : base(name, inputs)
    {
        Alpha = alpha;
        Beta = beta;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.HardSigmoid;

    /// <summary>The slope.</summary>
    public float Alpha { get; }

    /// <summary>The offset.</summary>
    public float Beta { get; }

    /// <inheritdoc />
    internal override string? Int8Limit => $"layer type {Type} has no INT8 kernel";

    /// <inheritdoc />
    internal override string? Int8LimitIn(bool integerOnly) => integerOnly ? null : Int8Limit;

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;

    /// <summary>y = max(0, min(1, alpha·x + beta)) in float; NaN stays NaN. Both backends' steps compute it.</summary>
    internal static float Apply(float x, float alpha, float beta)
    {
        float v = (alpha * x) + beta;
        return v < 0f ? 0f : v > 1f ? 1f : v;
    }

    /// <inheritdoc />
    // y = max(0, min(1, alpha·x + beta)), as the steps compute it.
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims) =>
        [.. inputs[0].Select(v => Apply(v, Alpha, Beta))];

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (!float.IsFinite(Alpha) || !float.IsFinite(Beta))
        {
            throw Error($"alpha ({Alpha}) and beta ({Beta}) must be finite.");
        }

        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(Alpha);
        writer.Write(Beta);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static HardSigmoidLayer Read(string name, BinaryReader r) => new(name, [], r.ReadSingle(), r.ReadSingle());
}
