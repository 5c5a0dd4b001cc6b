using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Conv → <see cref="ConvolutionSpec"/>, ConvTranspose → <see cref="DeconvolutionSpec"/> (1-D as 2-D with height 1; 3-D
/// through <see cref="Convolution3D"/> and <see cref="Deconvolution3D"/>).
/// </summary>
internal sealed class ConvMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Conv", "ConvTranspose"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [1, 2];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        if (x.Shape.Count == 5)
        {
            var (w5, b5) = (context.Constant(node, 1, "the weights"), context.OptionalConstant(node, 2, "the bias"));
            if (node.OpType == "Conv")
            {
                Convolution3D.Map(node, context, x, w5, b5);
            }
            else
            {
                Deconvolution3D.Map(node, context, x, w5, b5);
            }
            return;
        }
        if (x.Shape.Count is not (3 or 4))
        {
            throw node.Unsupported($"input rank {x.Shape.Count} (only NCL, NCHW and NCDHW)");
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
        var (p, q) = a.ForwardOutput(h, w, pads);
        if (p <= 0 || q <= 0)
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
        var (pads, outPad, p, q) = a.Transposed(node, h, w, x.Shape.Count - 2);
        int k = dims[1] * groups;
        var spec = new DeconvolutionSpec(weights, dims, Bias(node, bias, k), a.Stride, pads, outPad, a.Dilation, groups, int8);
        context.AddLayer(node, spec, [x], SpatialAttributes.OutputShape(x.Shape, k, p, q));
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
