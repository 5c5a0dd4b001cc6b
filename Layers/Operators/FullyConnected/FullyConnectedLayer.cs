using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Fully connected: y[k] = bias[k] + Σ_i w[k][i] · x_flat[i] over the C·H·W inputs in NCHW (C-order) flatten order;
/// weights [K][C·H·W], output (K, 1, 1). Bias optional.
/// </summary>
public sealed class FullyConnectedLayer : Layer
{
    internal FullyConnectedLayer(string name, IEnumerable<Tensor> inputs, int outputs, float[] weights, float[]? bias)
        : base(name, inputs)
    {
        OutputCount = outputs;
        WeightArray = weights;
        BiasArray = bias;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.FullyConnected;

    /// <summary>Outputs K.</summary>
    public int OutputCount { get; }

    /// <summary>Weights [K][C·H·W].</summary>
    public ReadOnlyMemory<float> Weights => WeightArray;

    /// <summary>Bias (K values) or empty.</summary>
    public ReadOnlyMemory<float> Bias => BiasArray;

    internal float[] WeightArray { get; }

    internal float[]? BiasArray { get; }

    /// <summary>A detached copy with other weights and bias.</summary>
    internal FullyConnectedLayer WithWeights(float[] weights, float[]? bias) => new(Name, [], OutputCount, weights, bias);

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (OutputCount <= 0)
        {
            throw Error($"the output count ({OutputCount}) must be positive.");
        }

        CheckArray(WeightArray, OutputCount * inputs[0].Volume, $"weights [K={OutputCount}][C·H·W={inputs[0].Volume}]");
        CheckArray(BiasArray, OutputCount, "bias", optional: true);
        return TensorDims.Vector(OutputCount);
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(OutputCount);
        writer.WriteArray(WeightArray);
        writer.WriteArray(BiasArray);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static FullyConnectedLayer Read(string name, BinaryReader r)
    {
        int k = r.ReadInt32();
        var w = r.ReadFloatArray() ?? throw new InvalidDataException("Fully connected weights are missing.");
        return new FullyConnectedLayer(name, [], k, w, r.ReadFloatArray());
    }

    /// <inheritdoc />
    internal override bool Int8NeedsRuntimeInput => true;

    /// <inheritdoc />
    internal override bool AbsorbsFlatten => true;

    /// <inheritdoc />
    internal override bool FusesActivation(ActivationSpec activation, bool int8) => true;

    /// <inheritdoc />
    internal override long WeightBytes(bool int8) => WeightBytes(WeightArray, BiasArray, int8);

    /// <inheritdoc />
    internal override Layer WithHalfWeights() => WithWeights(Kernels.Arch.HalfConvert.Round(WeightArray), BiasArray);

    /// <inheritdoc />
    internal override Layer FoldScale(Func<int, float> scale, Func<int, float> shift, int channels, TensorDims input) =>
        WithWeights(ScaleFolding.ScaleRows(WeightArray, channels, scale), ScaleFolding.Bias(BiasArray, channels, scale, shift));

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;
}
