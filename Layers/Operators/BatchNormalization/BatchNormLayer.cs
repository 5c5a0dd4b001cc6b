using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Inference batch normalization per channel: y = gamma · (x − mean) / sqrt(variance + epsilon) + beta. The builder lowers
/// it to a per-channel Scale (scale = gamma / sqrt(variance + epsilon), shift = beta − mean · scale, computed in double)
/// and folds that into a preceding convolution or fully connected layer when it can.
/// </summary>
public sealed class BatchNormLayer : Layer
{
    internal BatchNormLayer(string name, IEnumerable<Tensor> inputs, float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon)
        : base(name, inputs)
    {
        MeanArray = mean;
        VarianceArray = variance;
        GammaArray = gamma;
        BetaArray = beta;
        Epsilon = epsilon;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.BatchNormalization;

    /// <summary>Running mean per channel.</summary>
    public ReadOnlyMemory<float> Mean => MeanArray;

    /// <summary>Running variance per channel.</summary>
    public ReadOnlyMemory<float> Variance => VarianceArray;

    /// <summary>Scale (gamma) per channel.</summary>
    public ReadOnlyMemory<float> Gamma => GammaArray;

    /// <summary>Shift (beta) per channel.</summary>
    public ReadOnlyMemory<float> Beta => BetaArray;

    /// <summary>Epsilon added to the variance.</summary>
    public float Epsilon { get; }

    internal float[] MeanArray { get; }

    internal float[] VarianceArray { get; }

    internal float[] GammaArray { get; }

    internal float[] BetaArray { get; }

    /// <summary>The equivalent per-channel Scale layer (detached).</summary>
    internal override Layer Lower()
    {
        var c = MeanArray.Length;
        var scale = new float[c];
        var shift = new float[c];
        for (var i = 0; i < c; i++)
        {
            var s = GammaArray[i] / Math.Sqrt((double)VarianceArray[i] + Epsilon);
            scale[i] = (float)s;
            shift[i] = (float)(BetaArray[i] - (MeanArray[i] * s));
        }

        return new ScaleLayer(Name, [], ScaleMode.Channel, scale, shift, null);
    }

    /// <inheritdoc />
    // y = gamma · (x − mean) / sqrt(variance + epsilon) + beta, in double, per channel.
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        float[] x = inputs[0];
        var d = dims[0];
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var c = (int)((i / d.Plane) % d.C);
            y[i] = (float)((GammaArray[c] * (x[i] - (double)MeanArray[c]) / Math.Sqrt((double)VarianceArray[c] + Epsilon)) + BetaArray[c]);
        }

        return y;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        var c = inputs[0].C;
        CheckArray(MeanArray, c, "mean");
        CheckArray(VarianceArray, c, "variance");
        CheckArray(GammaArray, c, "gamma");
        CheckArray(BetaArray, c, "beta");
        if (!(Epsilon >= 0f) || !float.IsFinite(Epsilon))
        {
            throw Error($"epsilon ({Epsilon}) must be finite and ≥ 0.");
        }

        for (var i = 0; i < c; i++)
        {
            if (!(VarianceArray[i] + Epsilon > 0f))
            {
                throw Error($"variance[{i}] + epsilon = {VarianceArray[i] + Epsilon} must be > 0.");
            }
        }

        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.WriteArray(MeanArray);
        writer.WriteArray(VarianceArray);
        writer.WriteArray(GammaArray);
        writer.WriteArray(BetaArray);
        writer.Write(Epsilon);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static BatchNormLayer Read(string name, BinaryReader r)
    {
        var mean = r.ReadFloatArray() ?? throw new InvalidDataException("Batch norm mean is missing.");
        var variance = r.ReadFloatArray() ?? throw new InvalidDataException("Batch norm variance is missing.");
        var gamma = r.ReadFloatArray() ?? throw new InvalidDataException("Batch norm gamma is missing.");
        var beta = r.ReadFloatArray() ?? throw new InvalidDataException("Batch norm beta is missing.");
        return new BatchNormLayer(name, [], mean, variance, gamma, beta, r.ReadSingle());
    }

    /// <inheritdoc />
    internal override string? Int8Limit => $"layer type {Type} has no INT8 kernel";
}
