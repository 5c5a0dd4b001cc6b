using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Local response normalization across channels (ONNX LRN):
/// y_c = x_c / (k + alpha/size · Σ_{j ∈ [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉]} x_j²)^beta. FP32, except in an integer-only
/// engine: INT8 with integers only (<see cref="Kernels.IntegerOnly.IntegerLrn"/>).
/// </summary>
public sealed class LrnLayer : Layer
{
    internal LrnLayer(string name, IEnumerable<Tensor> inputs, int window, float alpha, float beta, float k)
        : base(name, inputs)
    {
        WindowSize = window;
        Alpha = alpha;
        Beta = beta;
        K = k;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Lrn;

    /// <summary>Channels in the window (size).</summary>
    public int WindowSize { get; }

    /// <summary>alpha.</summary>
    public float Alpha { get; }

    /// <summary>beta.</summary>
    public float Beta { get; }

    /// <summary>k (bias).</summary>
    public float K { get; }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (WindowSize <= 0)
        {
            throw Error($"window ({WindowSize}) must be positive.");
        }

        if (!float.IsFinite(Alpha) || !float.IsFinite(Beta) || !(K > 0f) || !float.IsFinite(K))
        {
            throw Error($"alpha ({Alpha}) and beta ({Beta}) must be finite and k ({K}) > 0.");
        }

        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(WindowSize);
        writer.Write(Alpha);
        writer.Write(Beta);
        writer.Write(K);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static LrnLayer Read(string name, BinaryReader r) => new(name, [], r.ReadInt32(), r.ReadSingle(), r.ReadSingle(), r.ReadSingle());

    /// <inheritdoc />
    internal override string? Int8Limit => $"layer type {Type} has no INT8 kernel";

    /// <inheritdoc />
    internal override string? Int8LimitIn(bool integerOnly) => integerOnly ? null : Int8Limit;

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;

    /// <summary>The integer-only constants for these scales.</summary>
    internal Kernels.IntegerOnly.IntegerLrn.Parameters IntegerParameters(float inputScale, float outputScale) =>
        Kernels.IntegerOnly.IntegerLrn.Create(WindowSize, Alpha, Beta, K, inputScale, outputScale);
}
