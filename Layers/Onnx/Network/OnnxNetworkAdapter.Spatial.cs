using System.Globalization;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>The spatial and shape layers: convolutions, pooling, softmax, concatenation, reshape, padding.</summary>
internal sealed partial class OnnxNetworkAdapter
{
    /// <summary>
    /// Conv: symmetric pads go to the layer, and so do pads whose bottom/right are smaller than their top/left when the
    /// symmetric (top, left) padding gives the same output size (CNTK's 7×7/2 stem, pads (3, 3, 2, 2)); other asymmetric
    /// pads become a zero Padding layer before it.
    /// </summary>
    private Layer Convolution(ConvolutionSpec conv, Tensor x, string name)
    {
        if (conv.WeightDims.Length != 4)
        {
            throw Unsupported($"a {conv.WeightDims.Length - 2}-D convolution (the engine's convolutions are 2-D)");
        }

        CheckQdqWeights(conv.Int8Weights, conv.Weights, conv.OutputChannels, 0);
        var (top, left, bottom, right) = conv.Pads;
        Size2 padding = (top, left);
        var expected = ItemDims(_layer.Output.Shape);
        bool leadingCovers = bottom <= top && right <= left
            && ConvOutput(x.Dims.H, conv.Kernel.H, conv.Stride.H, conv.Dilation.H, top) == expected.H
            && ConvOutput(x.Dims.W, conv.Kernel.W, conv.Stride.W, conv.Dilation.W, left) == expected.W;
        if ((top != bottom || left != right) && !leadingCovers)
        {
            // y = conv(pad(x, top, left, bottom, right), pads 0): the same sums, zeros outside the input.
            x = _net.AddPadding(x, (top, left), (bottom, right), 0f, Unique($"{name}/pad")).Output;
            padding = 0;
        }

        return _net.AddConvolution(x, conv.OutputChannels, conv.Kernel, conv.Weights, conv.Bias, conv.Stride, padding, conv.Dilation, conv.Groups, name);
    }

    /// <summary>
    /// Output size of a window sliding over n with pad on both sides: ⌊(n + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1.
    /// When it equals the ONNX size for pads (pad, end ≤ pad), both place every window at the same rows and no window
    /// reaches past the end pad, so the symmetric form computes the same operator.
    /// </summary>
    private static int ConvOutput(int n, int k, int stride, int dilation, int pad) => ((n + (2 * pad) - (dilation * (k - 1)) - 1) / stride) + 1;

    /// <summary>
    /// ConvTranspose: output row i is full[i + top] either way, so asymmetric crops map to symmetric padding = top with
    /// output padding outPad + top − bottom (which must be ≥ 0), and likewise for columns.
    /// </summary>
    private Layer Deconvolution(DeconvolutionSpec d, Tensor x, string name)
    {
        if (d.WeightDims.Length != 4)
        {
            throw Unsupported($"a {d.WeightDims.Length - 2}-D transposed convolution (the engine's are 2-D)");
        }

        CheckQdqWeights(d.Int8Weights, null, d.OutputChannels, 1);
        var (top, left, bottom, right) = d.Pads;
        int outH = d.OutputPadding.H + top - bottom, outW = d.OutputPadding.W + left - right;
        if (outH < 0 || outW < 0)
        {
            throw Unsupported($"transposed-convolution pads ({top}, {left}, {bottom}, {right}) that crop more at the bottom/right than the output padding adds");
        }

        return _net.AddDeconvolution(x, d.OutputChannels, (d.WeightDims[2], d.WeightDims[3]), d.Weights, d.Bias, d.Stride, (top, left), (outH, outW), d.Dilation, d.Groups, name);
    }

    /// <summary>
    /// Pooling: symmetric pads up to half the window go to the layer, and so do smaller bottom/right pads that give the
    /// same output size (see <see cref="ConvOutput"/>). Other pads: max pooling pads with the lowest
    /// float first (never a window's maximum: every ONNX window holds an input pixel), average pooling that counts
    /// the padding pads with zeros first (both then pool without padding; the output size is checked); average pooling
    /// over valid pixels only, with such pads, has no engine form.
    /// </summary>
    private Layer Pooling(PoolingSpec p, Tensor x, string name)
    {
        var type = p.Max ? PoolingType.Max : PoolingType.Average;
        if (p.Global)
        {
            return _net.AddGlobalPooling(x, type, name);
        }

        var (top, left, bottom, right) = p.Pads;
        bool halfWindow = 2 * top <= p.Window.H && 2 * left <= p.Window.W;
        bool symmetric = top == bottom && left == right && halfWindow;
        if (!symmetric && halfWindow && !p.CeilMode && bottom <= top && right <= left
            && new TensorDims(x.Dims.C, ConvOutput(x.Dims.H, p.Window.H, p.Stride.H, 1, top), ConvOutput(x.Dims.W, p.Window.W, p.Stride.W, 1, left)) == ItemDims(_layer.Output.Shape))
        {
            // Pads (1, 1, 0, 0) of a 3×3/2 max pooling: the symmetric (top, left) form reads the same windows (see ConvOutput).
            symmetric = true;
        }

        if (!symmetric)
        {
            if (!p.Max && !p.CountIncludePad)
            {
                throw Unsupported($"average pooling over valid pixels with pads ({top}, {left}, {bottom}, {right}) (the engine pads symmetrically, at most half the window)");
            }

            var expected = ItemDims(_layer.Output.Shape);
            if (p.Max && !p.CeilMode)
            {
                // Max pooling with pads of any form: an explicit pad by the lowest float (INT8: −127, the tensor keeps the
                // input's scale) never wins a max, so padding + unpadded pooling is the same operator.
                var padded = _net.AddPadding(x, (top, left), (bottom, right), float.MinValue, Unique($"{name}/pad")).Output;
                var unpadded = new PoolProblem(1, padded.Dims.C, padded.Dims.H, padded.Dims.W, p.Window.H, p.Window.W, p.Stride.H, p.Stride.W);
                if (new TensorDims(padded.Dims.C, unpadded.P, unpadded.Q) == expected)
                {
                    return _net.AddPooling(padded, type, p.Window, p.Stride, 0, countPadding: false, ceilMode: false, name);
                }
            }

            var probe = new PoolProblem(1, x.Dims.C, x.Dims.H, x.Dims.W, p.Window.H, p.Window.W, p.Stride.H, p.Stride.W, top, left, p.CeilMode);
            var trial = new TensorDims(x.Dims.C, probe.P, probe.Q);
            if (bottom < top || right < left || p.CountIncludePad || trial != expected)
            {
                throw Unsupported($"asymmetric pooling pads ({top}, {left}, {bottom}, {right}) of this form");
            }
        }

        return _net.AddPooling(x, type, p.Window, p.Stride, (top, left), p.CountIncludePad, p.CeilMode, name);
    }

    /// <summary>Softmax along axis a: across channels when a = 1, else through a reshape to (d_a, inner, 1) when every dimension between the batch and a is 1.</summary>
    private Layer SoftMax(SoftMaxSpec sm, Tensor x, string name)
    {
        var shape = _layer.Inputs[0].Shape;
        if (sm.Axis == 1 && shape.Count <= 4)
        {
            return _net.AddSoftMax(x, name);
        }

        var view = AxisView(shape, sm.Axis, "softmax");
        var flat = Reshape(x, view, Unique($"{name}/view"));
        var soft = _net.AddSoftMax(flat.Output, Unique($"{name}/softmax"));
        return Reshape(soft.Output, ItemDims(shape), name);
    }

    /// <summary>Concatenation along axis a: channels when a = 1, else through reshapes as for softmax.</summary>
    private Layer Concatenation(ConcatenationSpec cat, string name)
    {
        var inputs = Enumerable.Range(0, _layer.Inputs.Count).Select(In).ToList();
        if (cat.Axis == 1 && _layer.Output.Shape.Count <= 4)
        {
            return _net.AddConcatenation(inputs, name);
        }

        var views = inputs.Select((t, i) => Reshape(t, AxisView(_layer.Inputs[i].Shape, cat.Axis, "concatenation"), Unique($"{name}/view{i}")).Output).ToList();
        var joined = _net.AddConcatenation(views, Unique($"{name}/concat"));
        return Reshape(joined.Output, ItemDims(_layer.Output.Shape), name);
    }

    /// <summary>(d_axis, ∏ dims after it, 1), allowed when the dimensions between the batch and the axis are all 1.</summary>
    private TensorDims AxisView(IReadOnlyList<long> shape, int axis, string what)
    {
        if (axis < 1 || axis >= shape.Count || shape.Skip(1).Take(axis - 1).Any(d => d != 1))
        {
            throw Unsupported($"{what} along axis {axis} of [{string.Join(", ", shape)}] (the engine works along channels; dimensions between the batch and the axis must be 1)");
        }

        long inner = shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        return inner > int.MaxValue ? throw Unsupported("too many elements") : new TensorDims((int)shape[axis], (int)inner, 1);
    }

    /// <summary>A reshape; a flatten when the target is a vector (so a following fully connected layer absorbs it).</summary>
    private Layer Reshape(Tensor x, TensorDims dims, string name) =>
        dims.H == 1 && dims.W == 1 ? _net.AddFlatten(x, name) : _net.AddReshape(x, dims, name);

    /// <summary>Pad: constant padding of the two spatial dimensions (H and W of the item) only.</summary>
    private Layer Padding(PaddingSpec pad, Tensor x, string name)
    {
        int rank = pad.Begin.Length;
        for (int d = 0; d < rank; d++)
        {
            if (pad.Begin[d] < 0 || pad.End[d] < 0)
            {
                throw Unsupported($"negative pads (cropping) on dimension {d}");
            }

            if ((d < 2 || d > 3) && (pad.Begin[d] != 0 || pad.End[d] != 0))
            {
                throw Unsupported($"padding dimension {d} of a rank-{rank} tensor (the engine pads H and W, dimensions 2 and 3)");
            }
        }

        // Rank 4 pads H (dimension 2) and W (3); rank 3 [N, C, L] is (C, 1, L): dimension 2 is W.
        int Get(int[] a, int d) => d < a.Length ? a[d] : 0;
        return rank == 3
            ? _net.AddPadding(x, (0, Get(pad.Begin, 2)), (0, Get(pad.End, 2)), pad.Value, name)
            : _net.AddPadding(x, (Get(pad.Begin, 2), Get(pad.Begin, 3)), (Get(pad.End, 2), Get(pad.End, 3)), pad.Value, name);
    }

    /// <summary>
    /// The engine quantizes weights per output channel itself (s_w[k] = max|W[k]| / 127, q = Quantize(w, s_w[k]));
    /// when the model's QDQ integers are what that gives back, the INT8 engine runs on the model's own weights; else
    /// a note says how many differ.
    /// </summary>
    private void CheckQdqWeights(QuantizedWeights? q, float[]? weights, int outputChannels, int channelAxis)
    {
        if (q is null)
        {
            return;
        }

        string layer = $"{_layer.OpType} '{_layer.SourceNode}'";
        if (weights is null || q.Axis != channelAxis && q.Scales.Length != 1)
        {
            _notes.Add($"{layer}: QDQ int8 weights are dequantized and quantized again by the engine per output channel (max|W|/127); the model's integers are not used as is.");
            return;
        }

        int rowLength = weights.Length / outputChannels;
        long differ = 0;
        for (int k = 0; k < outputChannels; k++)
        {
            var row = weights.AsSpan(k * rowLength, rowLength);
            float max = 0f;
            foreach (float v in row)
            {
                max = Math.Max(max, Math.Abs(v));
            }

            float sw = max > 0f ? max / 127f : 1f;
            for (int i = 0; i < rowLength; i++)
            {
                int e = (k * rowLength) + i;
                long z = q.ZeroPoints.Length == 1 ? q.ZeroPoints[0] : q.ZeroPoints[k];
                if (QuantMath.Quantize(row[i], sw) != q.Values[e] - z)
                {
                    differ++;
                }
            }
        }

        _notes.Add(differ == 0
            ? $"{layer}: the engine's INT8 weights equal the model's QDQ int8 weights."
            : string.Create(CultureInfo.InvariantCulture, $"{layer}: {differ} of {weights.Length} QDQ int8 weights differ from the engine's per-channel requantization (max|W|/127; the engine takes no external weight scales); the INT8 engine uses its own."));
    }
}
