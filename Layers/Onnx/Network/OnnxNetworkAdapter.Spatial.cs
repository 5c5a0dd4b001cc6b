using System.Globalization;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>The spatial and shape layers: convolutions, pooling, softmax, concatenation, reshape, padding.</summary>
internal sealed partial class OnnxNetworkAdapter
{
    /// <summary>
    /// Conv: symmetric pads go to the layer, and so do pads whose bottom/right are smaller than their top/left when the
    /// symmetric (top, left) padding gives the same output size (CNTK's 7×7/2 stem, pads (3, 3, 2, 2)); other asymmetric
    /// pads become a zero Padding layer before it.
    /// </summary>
    internal Layer Convolution(ConvolutionSpec conv, Tensor x, string name)
    {
        if (conv.WeightDims.Length != 4)
        {
            throw Unsupported($"a {conv.WeightDims.Length - 2}-D convolution (the engine's convolutions are 2-D)");
        }

        CheckQdqWeights(conv.Int8Weights, conv.Weights, conv.OutputChannels, 0);
        var (top, left, bottom, right) = conv.Pads;
        Size2 padding = (top, left);
        // With pads (top, left) on both sides the output size is the same as ONNX's when every window sits at the same rows
        // and none reaches past the smaller end pads, so the symmetric layer computes the same operator.
        var expected = ItemDims(_layer.Output.Shape);
        var symmetric = new ConvProblem(1, x.Dims.C, x.Dims.H, x.Dims.W, conv.OutputChannels, conv.Kernel.H, conv.Kernel.W,
            conv.Stride.H, conv.Stride.W, top, left, conv.Dilation.H, conv.Dilation.W, conv.Groups);
        bool leadingCovers = bottom <= top && right <= left && symmetric.P == expected.H && symmetric.Q == expected.W;
        if ((top != bottom || left != right) && !leadingCovers)
        {
            // y = conv(pad(x, top, left, bottom, right), pads 0): the same sums, zeros outside the input.
            x = _net.AddPadding(x, (top, left), (bottom, right), 0f, Unique($"{name}/pad")).Output;
            padding = 0;
        }

        return _net.AddConvolution(x, conv.OutputChannels, conv.Kernel, conv.Weights, conv.Bias, conv.Stride, padding, conv.Dilation, conv.Groups, name);
    }

    /// <summary>
    /// ConvTranspose: output row i is full[i + top] either way, so asymmetric crops map to symmetric padding = top with
    /// output padding outPad + top − bottom (negative when the bottom crops more), and likewise for columns. The layer's
    /// output padding stays below max(stride, dilation); where top − bottom would pass that, the layer crops bottom on
    /// both sides with outPad (rows full[bottom …]) and a slice from row top − bottom keeps the P rows ONNX keeps.
    /// </summary>
    internal Layer Deconvolution(DeconvolutionSpec d, Tensor x, string name)
    {
        if (d.WeightDims.Length != 4)
        {
            throw Unsupported($"a {d.WeightDims.Length - 2}-D transposed convolution (the engine's are 2-D)");
        }

        CheckQdqWeights(d.Int8Weights, null, d.OutputChannels, 1);
        var (top, left, bottom, right) = d.Pads;
        int outH = d.OutputPadding.H + top - bottom, outW = d.OutputPadding.W + left - right;
        bool rowsFit = outH < Math.Max(d.Stride.H, d.Dilation.H), columnsFit = outW < Math.Max(d.Stride.W, d.Dilation.W);
        var kernel = (d.WeightDims[2], d.WeightDims[3]);
        if (rowsFit && columnsFit)
        {
            return _net.AddDeconvolution(x, d.OutputChannels, kernel, d.Weights, d.Bias, d.Stride, (top, left), (outH, outW), d.Dilation, d.Groups, name);
        }

        var expected = OutputDims;
        Layer y = _net.AddDeconvolution(x, d.OutputChannels, kernel, d.Weights, d.Bias, d.Stride, (rowsFit ? top : bottom, columnsFit ? left : right),
            (rowsFit ? outH : d.OutputPadding.H, columnsFit ? outW : d.OutputPadding.W), d.Dilation, d.Groups, Unique($"{name}/uncropped"));
        if (!rowsFit)
        {
            y = _net.AddSlice(y.Output, ItemAxis.Height, top - bottom, expected.H, name: columnsFit ? name : Unique($"{name}/rows"));
        }

        return columnsFit ? y : _net.AddSlice(y.Output, ItemAxis.Width, left - right, expected.W, name: name);
    }

    /// <summary>
    /// Pooling: the layer takes ONNX's begin and end pads as they are (each below the window, as ONNX requires); average
    /// with count_include_pad divides by the window clipped to the explicitly padded input, as ONNX.
    /// </summary>
    internal Layer Pooling(PoolingSpec p, Tensor x, string name)
    {
        var type = p.Max ? PoolingType.Max : PoolingType.Average;
        if (p.Global)
        {
            return _net.AddGlobalPooling(x, type, name);
        }

        var (top, left, bottom, right) = p.Pads;
        if (Math.Max(top, bottom) >= p.Window.H || Math.Max(left, right) >= p.Window.W)
        {
            throw Unsupported($"pooling pads ({top}, {left}, {bottom}, {right}) as large as the window {p.Window}");
        }

        return _net.AddPooling(x, type, p.Window, p.Stride, (top, left), (bottom, right), p.CountIncludePad, p.CeilMode, name);
    }

    /// <summary>
    /// Softmax along axis a: across channels when a = 1; through a reshape to (d_a, inner, 1) when every dimension
    /// between the batch and a is 1 (the channel kernel, INT8 too); else along the item's H or W (FP32).
    /// </summary>
    internal Layer SoftMax(SoftMaxSpec sm, Tensor x, string name)
    {
        var shape = _layer.Inputs[0].Shape;
        if (sm.Axis == 1 && shape.Count <= 4)
        {
            return _net.AddSoftMax(x, name);
        }

        if (sm.Axis >= 1 && sm.Axis < shape.Count && shape.Skip(1).Take(sm.Axis - 1).All(d => d == 1))
        {
            var view = AxisView(shape, sm.Axis, "softmax");
            var flat = Reshape(x, view, Unique($"{name}/view"));
            var soft = _net.AddSoftMax(flat.Output, Unique($"{name}/softmax"));
            return Reshape(soft.Output, ItemDims(shape), name);
        }

        return _net.AddSoftMax(x, ItemAxisOf(shape, sm.Axis, "softmax"), name);
    }

    /// <summary>Concatenation along axis a: the item axis it names (channels, H or W); above rank 4 through reshapes as for softmax.</summary>
    internal Layer Concatenation(ConcatenationSpec cat, string name)
    {
        var inputs = Enumerable.Range(0, _layer.Inputs.Count).Select(In).ToList();
        var shape = _layer.Output.Shape;
        if (shape.Count <= 4)
        {
            return _net.AddConcatenation(inputs, ItemAxisOf(shape, cat.Axis, "concatenation"), name);
        }

        var views = inputs.Select((t, i) => Reshape(t, AxisView(_layer.Inputs[i].Shape, cat.Axis, "concatenation"), Unique($"{name}/view{i}")).Output).ToList();
        var joined = _net.AddConcatenation(views, Unique($"{name}/concat"));
        return Reshape(joined.Output, ItemDims(shape), name);
    }

    /// <summary>The item axis of ONNX axis a of a rank ≤ 4 shape (as <see cref="ItemDims"/> maps it): 1 → C; [N, C, L]: 2 → W; [N, C, H, W]: 2 → H, 3 → W.</summary>
    private ItemAxis ItemAxisOf(IReadOnlyList<long> shape, int axis, string what) => (shape.Count, axis) switch
    {
        ( <= 4, 1) => ItemAxis.Channel,
        (3, 2) => ItemAxis.Width,
        (4, 2) => ItemAxis.Height,
        (4, 3) => ItemAxis.Width,
        _ => throw Unsupported($"{what} along axis {axis} of [{string.Join(", ", shape)}] (the engine works along C, H or W of a rank-2 to rank-4 tensor)"),
    };

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
    internal Layer Reshape(Tensor x, TensorDims dims, string name) =>
        dims.H == 1 && dims.W == 1 ? _net.AddFlatten(x, name) : _net.AddReshape(x, dims, name);

    /// <summary>Pad: constant padding of the two spatial dimensions (H and W of the item) only.</summary>
    internal Layer Padding(PaddingSpec pad, Tensor x, string name)
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
    internal void CheckQdqWeights(QuantizedWeights? q, float[]? weights, int outputChannels, int channelAxis)
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
