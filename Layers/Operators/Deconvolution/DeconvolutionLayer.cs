using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// 2-D transposed convolution (ONNX ConvTranspose): weights [C][K/groups][R][S], output (K, OutH, OutW) with
/// OutH = (H − 1)·sh − 2·ph + dh·(R − 1) + 1 + output padding (OutW likewise; a negative output padding crops more at
/// the bottom/right than at the top/left). Bias optional.
/// </summary>
public sealed class DeconvolutionLayer : FilterLayer
{
    internal DeconvolutionLayer(
        string name, IEnumerable<Tensor> inputs, int outputChannels, Size2 kernel, float[] weights, float[]? bias,
        Size2 stride, Size2 padding, Size2 outputPadding, Size2 dilation, int groups)
        : base(name, inputs, outputChannels, kernel, weights, bias, stride, padding, dilation, groups)
    {
        OutputPadding = outputPadding;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Deconvolution;

    /// <summary>Extra rows/columns added at the bottom/right (negative: removed there beyond <see cref="Padding"/>).</summary>
    public Size2 OutputPadding { get; }

    /// <summary>The problem for a batch of <paramref name="n"/> items of <paramref name="input"/>.</summary>
    internal DeconvProblem Problem(int n, TensorDims input) => new(
        n, input.C, input.H, input.W, OutputChannels, Kernel.H, Kernel.W, Stride.H, Stride.W, Padding.H, Padding.W,
        Dilation.H, Dilation.W, Groups, OutputPadding.H, OutputPadding.W);

    /// <summary>A detached copy with other weights and bias.</summary>
    internal DeconvolutionLayer WithWeights(float[] weights, float[]? bias) =>
        new(Name, [], OutputChannels, Kernel, weights, bias, Stride, Padding, OutputPadding, Dilation, Groups);

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        var x = inputs[0];
        if (Groups <= 0 || x.C % Groups != 0 || OutputChannels <= 0 || OutputChannels % Groups != 0)
        {
            throw Error($"groups ({Groups}) must divide the input channels ({x.C}) and the output channels ({OutputChannels}).");
        }

        var p = Problem(1, x);
        try
        {
            p.Validate();
        }
        catch (ArgumentException ex)
        {
            throw Error(ex.Message);
        }

        CheckArray(WeightArray, (long)x.C * (OutputChannels / Groups) * Kernel.H * Kernel.W, $"weights [C={x.C}][K/g={OutputChannels / Groups}][R={Kernel.H}][S={Kernel.W}]");
        CheckArray(BiasArray, OutputChannels, "bias", optional: true);
        return new TensorDims(OutputChannels, p.OutH, p.OutW);
    }

    /// <inheritdoc />
    private protected override void WriteExtraParameters(BinaryWriter writer) => writer.Write(OutputPadding);

    /// <summary>Reads what <see cref="FilterLayer.WriteParameters"/> wrote.</summary>
    internal static DeconvolutionLayer Read(string name, BinaryReader r)
    {
        var f = ReadParameters(r, LayerType.Deconvolution, BinaryIO.ReadSize2);
        return new DeconvolutionLayer(name, [], f.OutputChannels, f.Kernel, f.Weights, f.Bias, f.Stride, f.Padding, f.Extra, f.Dilation, f.Groups);
    }

    /// <inheritdoc />
    internal override Layer WithHalfWeights() => WithWeights(Kernels.Arch.HalfConvert.Round(WeightArray), BiasArray);

    /// <inheritdoc />
    internal override Layer FoldScale(Func<int, float> scale, Func<int, float> shift, int channels, TensorDims input) =>
        WithWeights(ScaleWeights(input.C, scale), ScaleFolding.Bias(BiasArray, channels, scale, shift));

    // [C][K/g][R][S]: output channel g·Kg + kk.
    private float[] ScaleWeights(int inputChannels, Func<int, float> scale)
    {
        int kg = OutputChannels / Groups, cg = inputChannels / Groups, rs = Kernel.H * Kernel.W;
        var r = new float[WeightArray.Length];
        for (var i = 0; i < r.Length; i++)
        {
            int c = i / (kg * rs), kk = (i / rs) % kg;
            r[i] = WeightArray[i] * scale(((c / cg) * kg) + kk);
        }

        return r;
    }
}
