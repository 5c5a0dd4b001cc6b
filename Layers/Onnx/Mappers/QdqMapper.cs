using System.Globalization;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// QuantizeLinear / DequantizeLinear (QDQ models). On constants both fold: q = clamp(round_half_even(x / s) + z,
/// qmin, qmax) and x = (q − z)·s, per tensor or along an axis; dequantized int8/uint8 weights keep their integers
/// (<see cref="QuantizedWeights"/>) for the layer that reads them. On a run-time tensor x, Q → DQ becomes x itself
/// with the dynamic range of the pair: int8 with z = 0 or uint8 with z = 128 give T = 127·s exactly; any other zero
/// point is asymmetric, is widened to T = max(|(qmin − z)·s|, |(qmax − z)·s|) and reported in the notes.
/// </summary>
internal sealed class QdqMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["QuantizeLinear", "DequantizeLinear"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [1, 2];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var scale = context.Constant(node, 1, "the scale").Tensor;
        var zeroPoint = context.OptionalConstant(node, 2, "the zero point")?.Tensor;
        if (!scale.IsFloat)
        {
            throw node.Error("the scale must be float.");
        }
        if (node.GetIntOrNull("block_size") is > 0)
        {
            throw node.Unsupported("blocked quantization");
        }
        var type = zeroPoint?.DataType ?? (node.OpType == "QuantizeLinear" ? (OnnxDataType)(node.GetInt("output_dtype", 0) is var d and > 0 ? d : 2) : OnnxDataType.UInt8);
        if (node.OpType == "DequantizeLinear" && context.Value(node, 0) is ConstantValue { Tensor: var q })
        {
            type = q.DataType;
        }
        bool int32 = node.OpType == "DequantizeLinear" && type == OnnxDataType.Int32;
        if (type is not (OnnxDataType.Int8 or OnnxDataType.UInt8) && !int32)
        {
            throw node.Unsupported($"{type} quantization (only int8 and uint8, and int32 biases)");
        }
        var value = context.Value(node, 0);
        switch (node.OpType, value)
        {
            case ("QuantizeLinear", ConstantValue c):
                context.Define(node.Outputs[0], new ConstantValue(Quantize(node, c.Tensor, scale, zeroPoint, type)));
                break;
            case ("QuantizeLinear", RuntimeValue r):
                var (s, z) = PerTensor(node, scale, zeroPoint);
                context.Define(node.Outputs[0], new QuantizedRuntimeValue(r.Tensor, s, z, type, node.DisplayName));
                break;
            case ("DequantizeLinear", ConstantValue c):
                context.Define(node.Outputs[0], Dequantize(node, c.Tensor, scale, zeroPoint));
                break;
            case ("DequantizeLinear", QuantizedRuntimeValue qr):
                Pair(node, context, qr, scale, zeroPoint, type);
                break;
            default:
                throw node.Unsupported($"{node.OpType} of a run-time {(node.OpType == "QuantizeLinear" ? "non-float" : "tensor not produced by QuantizeLinear")} input");
        }
    }

    private static void Pair(OnnxNode node, OnnxMapContext context, QuantizedRuntimeValue q, OnnxTensor scale, OnnxTensor? zeroPoint, OnnxDataType type)
    {
        var (s, z) = PerTensor(node, scale, zeroPoint);
        if (s != q.Scale || z != q.ZeroPoint || type != q.Type)
        {
            context.Network.Note(string.Create(CultureInfo.InvariantCulture,
                $"tensor '{q.Source.Name}': DequantizeLinear '{node.DisplayName}' (scale {s}, zero point {z}) differs from QuantizeLinear '{q.QuantizeNode}' (scale {q.Scale}, zero point {q.ZeroPoint}); the quantize side's range is used."));
        }
        float threshold = Threshold(q.Scale, q.ZeroPoint, q.Type, out bool exact, out float lo, out float hi);
        if (!exact)
        {
            context.Network.Note(string.Create(CultureInfo.InvariantCulture,
                $"tensor '{q.Source.Name}': asymmetric QDQ range [{lo}, {hi}] ({q.Type}, zero point {q.ZeroPoint}, scale {q.Scale}) cannot map to symmetric int8 exactly; widened to the threshold {threshold} (int8 scale {threshold / 127f} instead of {q.Scale})."));
        }
        if (context.Network.DynamicRanges.TryGetValue(q.Source.Name, out float previous) && previous != threshold)
        {
            context.Network.Note(string.Create(CultureInfo.InvariantCulture,
                $"tensor '{q.Source.Name}' is quantized by several QDQ pairs (thresholds {previous} and {threshold}); the larger is kept."));
            threshold = Math.Max(previous, threshold);
        }
        context.Network.SetRange(q.Source.Name, threshold);
        context.Define(node.Outputs[0], new RuntimeValue(q.Source));
    }

    /// <summary>The symmetric threshold of a (scale, zero point, type) range; exact when the range is symmetric.</summary>
    internal static float Threshold(float scale, long zeroPoint, OnnxDataType type, out bool exact, out float lo, out float hi)
    {
        long qmin = type == OnnxDataType.Int8 ? -128 : 0, qmax = type == OnnxDataType.Int8 ? 127 : 255;
        lo = (qmin - zeroPoint) * scale;
        hi = (qmax - zeroPoint) * scale;
        exact = type == OnnxDataType.Int8 ? zeroPoint == 0 : zeroPoint == 128;
        return exact ? 127f * scale : Math.Max(Math.Abs(lo), Math.Abs(hi));
    }

    private static (float Scale, long ZeroPoint) PerTensor(OnnxNode node, OnnxTensor scale, OnnxTensor? zeroPoint)
    {
        if (scale.ElementCount != 1 || (zeroPoint is not null && zeroPoint.ElementCount != 1))
        {
            throw node.Unsupported("per-axis quantization of a run-time tensor (activations are quantized per tensor)");
        }
        float s = scale.Floats[0];
        if (!(s > 0f) || !float.IsFinite(s))
        {
            throw node.Error($"scale {s} must be positive and finite.");
        }
        return (s, zeroPoint is null ? 0 : zeroPoint.Integers[0]);
    }

    /// <summary>Per-slice scales and zero points along the axis (or one of each).</summary>
    private static (float[] Scales, long[] ZeroPoints, int Axis) Params(OnnxNode node, OnnxTensor x, OnnxTensor scale, OnnxTensor? zeroPoint)
    {
        int rank = x.Dims.Count;
        int axis = rank == 0 ? 0 : OnnxShapes.Axis(node, node.GetInt("axis", 1), rank);
        long slices = scale.ElementCount;
        if (slices != 1 && (scale.Dims.Count != 1 || rank == 0 || x.Dims[axis] != slices))
        {
            throw node.Error($"scale of shape [{string.Join(", ", scale.Dims)}] matches neither one value nor axis {axis} of [{string.Join(", ", x.Dims)}].");
        }
        if (zeroPoint is not null && zeroPoint.ElementCount != slices)
        {
            throw node.Error($"zero point has {zeroPoint.ElementCount} values, the scale {slices}.");
        }
        float[] s = scale.ToFloatArray();
        if (s.Any(v => !(v > 0f) || !float.IsFinite(v)))
        {
            throw node.Error("every scale must be positive and finite.");
        }
        long[] z = zeroPoint is null ? new long[slices] : zeroPoint.IsFloat ? throw node.Error("zero points must be integers.") : zeroPoint.ToInt64Array();
        return (s, z, axis);
    }

    /// <summary>Elements per step of the axis: element e is in scale slice (e / inner) mod slices.</summary>
    private static long Inner(OnnxTensor x, int axis) => OnnxShapes.Product(x.Dims, axis + 1);

    private static OnnxTensor Quantize(OnnxNode node, OnnxTensor x, OnnxTensor scale, OnnxTensor? zeroPoint, OnnxDataType type)
    {
        if (!x.IsFloat)
        {
            throw node.Error("QuantizeLinear of a non-float constant.");
        }
        var (s, z, axis) = Params(node, x, scale, zeroPoint);
        long qmin = type == OnnxDataType.Int8 ? -128 : 0, qmax = type == OnnxDataType.Int8 ? 127 : 255;
        var values = x.Floats;
        long inner = s.Length == 1 ? 1 : Inner(x, axis);
        var q = new long[values.Length];
        for (long e = 0; e < values.Length; e++)
        {
            long c = s.Length == 1 ? 0 : e / inner % s.Length;
            double v = Math.Round(values[(int)e] / (double)s[c], MidpointRounding.ToEven) + z[c];
            q[e] = (long)Math.Clamp(v, qmin, qmax);
        }
        return OnnxTensor.FromIntegers(node.Outputs[0], [.. x.Dims], q, type);
    }

    private static ConstantValue Dequantize(OnnxNode node, OnnxTensor x, OnnxTensor scale, OnnxTensor? zeroPoint)
    {
        if (x.IsFloat)
        {
            throw node.Error("DequantizeLinear of a float constant.");
        }
        var (s, z, axis) = Params(node, x, scale, zeroPoint);
        var q = x.Integers;
        long inner = s.Length == 1 ? 1 : Inner(x, axis);
        var f = new float[q.Length];
        for (long e = 0; e < q.Length; e++)
        {
            long c = s.Length == 1 ? 0 : e / inner % s.Length;
            f[e] = (q[(int)e] - z[c]) * s[c];
        }
        var tensor = OnnxTensor.FromFloats(node.Outputs[0], [.. x.Dims], f);
        var weights = x.DataType is OnnxDataType.Int8 or OnnxDataType.UInt8
            ? new QuantizedWeights(q.ToArray(), s, z, axis, x.DataType) : null;
        return new ConstantValue(tensor, weights);
    }
}
