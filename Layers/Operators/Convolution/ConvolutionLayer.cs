using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// 2-D convolution: y[k, p, q] = bias[k] + Σ_{c,r,s} x[g·Cg + c, p·sh − ph + r·dh, q·sw − pw + s·dw] · w[k][c][r][s],
/// weights KCRS [K][C/groups][R][S] (PyTorch and ONNX order), output (K, P, Q) with
/// P = ⌊(H + 2·ph − dh·(R − 1) − 1) / sh⌋ + 1 (Q likewise). Bias optional.
/// </summary>
public sealed class ConvolutionLayer : FilterLayer
{
    internal ConvolutionLayer(
        string name, IEnumerable<Tensor> inputs, int outputChannels, Size2 kernel, float[] weights, float[]? bias,
        Size2 stride, Size2 padding, Size2 dilation, int groups)
        : base(name, inputs, outputChannels, kernel, weights, bias, stride, padding, dilation, groups)
    {
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Convolution;

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

    /// <summary>Reads what <see cref="FilterLayer.WriteParameters"/> wrote.</summary>
    internal static ConvolutionLayer Read(string name, BinaryReader r)
    {
        var f = ReadParameters(r, LayerType.Convolution);
        return new ConvolutionLayer(name, [], f.OutputChannels, f.Kernel, f.Weights, f.Bias, f.Stride, f.Padding, f.Dilation, f.Groups);
    }

    /// <inheritdoc />
    internal override bool FusesResidualSum => true;

    /// <inheritdoc />
    internal override Layer WithHalfWeights() => WithWeights(Kernels.Arch.HalfConvert.Round(WeightArray), BiasArray);

    /// <inheritdoc />
    internal override Layer FoldScale(Func<int, float> scale, Func<int, float> shift, int channels, TensorDims input) =>
        WithWeights(ScaleFolding.ScaleRows(WeightArray, channels, scale), ScaleFolding.Bias(BiasArray, channels, scale, shift));
}
