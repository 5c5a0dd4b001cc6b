using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>Conv → <see cref="ConvolutionSpec"/>, ConvTranspose → <see cref="DeconvolutionSpec"/> (1-D as 2-D with height 1).</summary>
internal sealed class ConvMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Conv", "ConvTranspose"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [1, 2];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        if (x.Shape.Count is not (3 or 4))
        {
            throw node.Unsupported($"input rank {x.Shape.Count} (only NCL and NCHW)");
        }
        var w = context.Constant(node, 1, "the weights");
        if (w.Tensor.Dims.Count != x.Shape.Count)
        {
            throw node.Error($"weights of rank {w.Tensor.Dims.Count} do not match an input of rank {x.Shape.Count}.");
        }
        int[] wd = w.Tensor.DimsAsInt32();
        int[] dims = wd.Length == 4 ? wd : [wd[0], wd[1], 1, wd[2]];
        if (dims.Any(d => d <= 0))
        {
            throw node.Error($"weights have an empty dimension [{string.Join(", ", wd)}].");
        }
        long groups = node.GetInt("group", 1);
        if (groups <= 0 || groups > x.Shape[1])
        {
            throw node.Error($"group {groups} is out of range for {x.Shape[1]} input channels.");
        }
        var bias = context.OptionalConstant(node, 2, "the bias");
        var spatial = SpatialAttributes.Read(node, x.Shape.Count - 2, (dims[2], dims[3]));
        var (h, wIn) = SpatialAttributes.Plane(x.Shape);
        float[] weights = Weights(node, w);
        var int8 = Int8(node, w);
        if (node.OpType == "Conv")
        {
            MapConv(node, context, x, dims, (int)groups, bias, spatial, h, wIn, weights, int8);
        }
        else
        {
            MapDeconv(node, context, x, dims, (int)groups, bias, spatial, h, wIn, weights, int8);
        }
    }

    private static void MapConv(OnnxNode node, OnnxMapContext context, ImportedTensor x, int[] dims, int groups,
        ConstantValue? bias, SpatialAttributes a, long h, long w, float[] weights, QuantizedWeights? int8)
    {
        if ((long)dims[1] * groups != x.Shape[1] || dims[0] % groups != 0)
        {
            throw node.Error($"weights [K={dims[0]}, C/g={dims[1]}] with group {groups} do not fit {x.Shape[1]} input channels.");
        }
        var pads = a.ForwardPads(h, w);
        long p = ((h + pads.Top + pads.Bottom - (((long)a.Kernel.H - 1) * a.Dilation.H) - 1) / a.Stride.H) + 1;
        long q = ((w + pads.Left + pads.Right - (((long)a.Kernel.W - 1) * a.Dilation.W) - 1) / a.Stride.W) + 1;
        if (p <= 0 || q <= 0 || h + pads.Top + pads.Bottom < ((long)a.Kernel.H - 1) * a.Dilation.H + 1)
        {
            throw node.Error($"the dilated {a.Kernel} filter does not fit the padded {h}x{w} input.");
        }
        var spec = new ConvolutionSpec(weights, dims, Bias(node, bias, dims[0]), a.Stride, pads, a.Dilation, groups, int8);
        context.AddLayer(node, spec, [x], SpatialAttributes.OutputShape(x.Shape, dims[0], p, q));
    }

    private static void MapDeconv(OnnxNode node, OnnxMapContext context, ImportedTensor x, int[] dims, int groups,
        ConstantValue? bias, SpatialAttributes a, long h, long w, float[] weights, QuantizedWeights? int8)
    {
        if (dims[0] != x.Shape[1] || dims[0] % groups != 0)
        {
            throw node.Error($"weights [C={dims[0]}, K/g={dims[1]}] with group {groups} do not fit {x.Shape[1]} input channels.");
        }
        int spatialRank = x.Shape.Count - 2;
        var outPad = SpatialAttributes.Pair(node, node.GetInts("output_padding"), spatialRank, "output_padding", 0);
        // A 1-D operator is 2-D with height 1: no output padding along H (Pair's H of 1 is for kernels and strides).
        outPad = spatialRank == 1 ? (0, outPad.W) : outPad;
        // Full output before cropping: s·(in − 1) + outPad + (k − 1)·d + 1.
        long fullH = (a.Stride.H * (h - 1)) + outPad.H + ((long)(a.Kernel.H - 1) * a.Dilation.H) + 1;
        long fullW = (a.Stride.W * (w - 1)) + outPad.W + ((long)(a.Kernel.W - 1) * a.Dilation.W) + 1;
        var pads = a.Pads;
        long[]? outputShape = node.GetInts("output_shape");
        if (outputShape is not null || a.AutoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            // Wanted size: output_shape (its last spatial entries), or in·stride for SAME_*. The total crop splits
            // as in the ONNX reference: SAME_UPPER crops ⌊t/2⌋ at the start, otherwise t − ⌊t/2⌋.
            long wantH, wantW;
            if (outputShape is not null)
            {
                if (outputShape.Length < spatialRank)
                {
                    throw node.Error($"output_shape has {outputShape.Length} values; {spatialRank} are needed.");
                }
                wantH = spatialRank == 2 ? outputShape[^2] : 1;
                wantW = outputShape[^1];
            }
            else
            {
                wantH = h * a.Stride.H;
                wantW = w * a.Stride.W;
            }
            var (t, b) = Split(fullH - wantH, a.AutoPad == "SAME_UPPER");
            var (l, r) = Split(fullW - wantW, a.AutoPad == "SAME_UPPER");
            pads = (t, l, b, r);
        }
        else if (a.AutoPad == "VALID")
        {
            pads = (0, 0, 0, 0);
        }
        // A negative end crop extends the output: the same as more output padding.
        if (pads.Bottom < 0)
        {
            outPad.H -= pads.Bottom;
            fullH -= pads.Bottom;
            pads.Bottom = 0;
        }
        if (pads.Right < 0)
        {
            outPad.W -= pads.Right;
            fullW -= pads.Right;
            pads.Right = 0;
        }
        if (pads.Top < 0 || pads.Left < 0)
        {
            throw node.Unsupported($"an output_shape larger than the full transposed output ({fullH}x{fullW})");
        }
        long p = fullH - pads.Top - pads.Bottom, q = fullW - pads.Left - pads.Right;
        if (p <= 0 || q <= 0)
        {
            throw node.Error($"pads {pads} crop the whole {fullH}x{fullW} output.");
        }
        int k = dims[1] * groups;
        var spec = new DeconvolutionSpec(weights, dims, Bias(node, bias, k), a.Stride, pads, outPad, a.Dilation, groups, int8);
        context.AddLayer(node, spec, [x], SpatialAttributes.OutputShape(x.Shape, k, p, q));
    }

    private static (int Begin, int End) Split(long total, bool upper)
    {
        long half = (long)Math.Floor(total / 2.0);
        return upper ? ((int)half, (int)(total - half)) : ((int)(total - half), (int)half);
    }

    /// <summary>Float weights; integer weights must come through DequantizeLinear.</summary>
    internal static float[] Weights(OnnxNode node, ConstantValue w) => w.Tensor.IsFloat ? w.Tensor.ToFloatArray()
        : throw node.Unsupported($"{w.Tensor.DataType} weights '{w.Tensor.Name}' without a DequantizeLinear");

    /// <summary>QDQ weights quantized along the output channels (axis 0) or per tensor, else null with a note.</summary>
    internal static QuantizedWeights? Int8(OnnxNode node, ConstantValue w, int outputAxis = 0)
    {
        if (w.Quant is not { } q)
        {
            return null;
        }
        if (q.Scales.Length > 1 && q.Axis != outputAxis)
        {
            throw node.Unsupported($"weights quantized along axis {q.Axis} (only per output channel, axis {outputAxis}, or per tensor)");
        }
        return q;
    }

    internal static float[]? Bias(OnnxNode node, ConstantValue? bias, int count)
    {
        if (bias is null)
        {
            return null;
        }
        if (bias.Tensor.ElementCount != count)
        {
            throw node.Error($"bias '{bias.Tensor.Name}' has {bias.Tensor.ElementCount} values; {count} are needed.");
        }
        return bias.Tensor.ToFloatArray();
    }
}

/// <summary>Conv → a convolution layer (asymmetric pads through a padding layer before it).</summary>
public sealed partial record ConvolutionSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Convolution(this, adapter.In(0), name);
}
