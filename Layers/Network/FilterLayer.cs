using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers.Network;

/// <summary>
/// What a convolution and a transposed convolution share: K output channels, an R×S filter window with stride, padding,
/// dilation and groups, float weights and an optional bias (K values). Both take a run-time input in INT8, fuse any
/// activation after them, and have an integer-only INT8 form.
/// </summary>
public abstract class FilterLayer : Layer
{
    private protected FilterLayer(
        string name, IEnumerable<Tensor> inputs, int outputChannels, Size2 kernel, float[] weights, float[]? bias,
        Size2 stride, Size2 padding, Size2 dilation, int groups)
        : base(name, inputs)
    {
        OutputChannels = outputChannels;
        Kernel = kernel;
        WeightArray = weights;
        BiasArray = bias;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
    }

    /// <summary>Output channels K.</summary>
    public int OutputChannels { get; }

    /// <summary>Filter size (R, S).</summary>
    public Size2 Kernel { get; }

    /// <summary>Stride.</summary>
    public Size2 Stride { get; }

    /// <summary>Padding on each side (of the input for a convolution, removed from the full output for a transposed one).</summary>
    public Size2 Padding { get; }

    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; }

    /// <summary>Groups (depthwise: groups = C = K).</summary>
    public int Groups { get; }

    /// <summary>The weights, in the layout of the concrete layer.</summary>
    public ReadOnlyMemory<float> Weights => WeightArray;

    /// <summary>Bias (K values) or empty.</summary>
    public ReadOnlyMemory<float> Bias => BiasArray;

    internal float[] WeightArray { get; }

    internal float[]? BiasArray { get; }

    /// <inheritdoc />
    // Engine file: K, kernel, stride, padding, the layer's extras (a transposed convolution's output padding), dilation,
    // groups, weights, bias.
    internal sealed override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(OutputChannels);
        writer.Write(Kernel);
        writer.Write(Stride);
        writer.Write(Padding);
        WriteExtraParameters(writer);
        writer.Write(Dilation);
        writer.Write(Groups);
        writer.WriteArray(WeightArray);
        writer.WriteArray(BiasArray);
    }

    /// <summary>The parameters a concrete layer writes between the padding and the dilation; none by default.</summary>
    private protected virtual void WriteExtraParameters(BinaryWriter writer)
    {
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote; <paramref name="readExtra"/> reads the layer's extras.</summary>
    private protected static FilterParameters ReadParameters(BinaryReader r, LayerType type, Func<BinaryReader, Size2>? readExtra = null)
    {
        int k = r.ReadInt32();
        Size2 kernel = r.ReadSize2(), stride = r.ReadSize2(), padding = r.ReadSize2();
        Size2 extra = readExtra?.Invoke(r) ?? default;
        Size2 dilation = r.ReadSize2();
        int groups = r.ReadInt32();
        var w = r.ReadFloatArray() ?? throw new InvalidDataException($"{type} weights are missing.");
        return new FilterParameters(k, kernel, stride, padding, extra, dilation, groups, w, r.ReadFloatArray());
    }

    /// <summary>The fields of an engine file's filter layer, <see cref="Extra"/> the layer's own.</summary>
    private protected readonly record struct FilterParameters(
        int OutputChannels, Size2 Kernel, Size2 Stride, Size2 Padding, Size2 Extra, Size2 Dilation, int Groups, float[] Weights, float[]? Bias);

    /// <inheritdoc />
    internal override bool Int8NeedsRuntimeInput => true;

    /// <inheritdoc />
    internal override bool FusesActivation(ActivationSpec activation, bool int8) => true;

    /// <inheritdoc />
    internal override long WeightBytes(bool int8) => WeightBytes(WeightArray, BiasArray, int8);

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;
}
