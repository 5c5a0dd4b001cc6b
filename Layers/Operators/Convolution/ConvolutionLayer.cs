using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// 2-D convolution: y[k, p, q] = bias[k] + Σ_{c,r,s} x[g·Cg + c, p·sh − ph + r·dh, q·sw − pw + s·dw] · w[k][c][r][s],
/// weights KCRS [K][C/groups][R][S] (PyTorch and ONNX order), output (K, P, Q) with
/// P = ⌊(H + 2·ph − dh·(R − 1) − 1) / sh⌋ + 1 (Q likewise). Bias optional.
/// </summary>
public sealed class ConvolutionLayer : Layer
{
    internal ConvolutionLayer(
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

    /// <inheritdoc />
    public override LayerType Type => LayerType.Convolution;

    /// <summary>Output channels K.</summary>
    public int OutputChannels { get; }

    /// <summary>Filter size (R, S).</summary>
    public Size2 Kernel { get; }

    /// <summary>Stride.</summary>
    public Size2 Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public Size2 Padding { get; }

    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; }

    /// <summary>Groups (depthwise: groups = C = K).</summary>
    public int Groups { get; }

    /// <summary>Weights KCRS.</summary>
    public ReadOnlyMemory<float> Weights => WeightArray;

    /// <summary>Bias (K values) or empty.</summary>
    public ReadOnlyMemory<float> Bias => BiasArray;

    internal float[] WeightArray { get; }

    internal float[]? BiasArray { get; }

    /// <summary>The convolution problem for a batch of <paramref name="n"/> items of <paramref name="input"/>.</summary>
    internal ConvProblem Problem(int n, TensorDims input) => new(
        n, input.C, input.H, input.W, OutputChannels, Kernel.H, Kernel.W, Stride.H, Stride.W, Padding.H, Padding.W, Dilation.H, Dilation.W, Groups);

    /// <summary>A detached copy with other weights and bias (BN folding).</summary>
    internal ConvolutionLayer WithWeights(float[] weights, float[]? bias) =>
        new(Name, [], OutputChannels, Kernel, weights, bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        var x = inputs[0];
        if (OutputChannels <= 0 || Kernel.H <= 0 || Kernel.W <= 0)
        {
            throw Error($"output channels ({OutputChannels}) and kernel ({Kernel}) must be positive.");
        }

        if (Stride.H <= 0 || Stride.W <= 0 || Dilation.H <= 0 || Dilation.W <= 0 || Padding.H < 0 || Padding.W < 0)
        {
            throw Error($"stride ({Stride}) and dilation ({Dilation}) must be positive, padding ({Padding}) ≥ 0.");
        }

        if (Groups <= 0 || x.C % Groups != 0 || OutputChannels % Groups != 0)
        {
            throw Error($"groups ({Groups}) must divide the input channels ({x.C}) and the output channels ({OutputChannels}).");
        }

        CheckArray(WeightArray, (long)OutputChannels * (x.C / Groups) * Kernel.H * Kernel.W, $"weights [K={OutputChannels}][C/g={x.C / Groups}][R={Kernel.H}][S={Kernel.W}]");
        CheckArray(BiasArray, OutputChannels, "bias", optional: true);
        var p = Problem(1, x);
        if (p.P <= 0 || p.Q <= 0)
        {
            throw Error($"the dilated {Kernel} filter does not fit the padded input {x}.");
        }

        return new TensorDims(OutputChannels, p.P, p.Q);
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(OutputChannels);
        writer.Write(Kernel);
        writer.Write(Stride);
        writer.Write(Padding);
        writer.Write(Dilation);
        writer.Write(Groups);
        writer.WriteArray(WeightArray);
        writer.WriteArray(BiasArray);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ConvolutionLayer Read(string name, BinaryReader r)
    {
        int k = r.ReadInt32();
        Size2 kernel = r.ReadSize2(), stride = r.ReadSize2(), padding = r.ReadSize2(), dilation = r.ReadSize2();
        int groups = r.ReadInt32();
        var w = r.ReadFloatArray() ?? throw new InvalidDataException("Convolution weights are missing.");
        return new ConvolutionLayer(name, [], k, kernel, w, r.ReadFloatArray(), stride, padding, dilation, groups);
    }

    /// <inheritdoc />
    internal override bool Int8NeedsRuntimeInput => true;

    /// <inheritdoc />
    internal override bool FusesActivation(ActivationSpec activation, bool int8) => true;

    /// <inheritdoc />
    internal override bool FusesResidualSum => true;

    /// <inheritdoc />
    internal override long WeightBytes(bool int8) => WeightBytes(WeightArray, BiasArray, int8);

    /// <inheritdoc />
    internal override Layer FoldScale(Func<int, float> scale, Func<int, float> shift, int channels, TensorDims input) =>
        WithWeights(ScaleFolding.ScaleRows(WeightArray, channels, scale), ScaleFolding.Bias(BiasArray, channels, scale, shift));

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;
}
