using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Layers.Plans;

/// <summary>
/// The int8 parameters of a convolution-like layer (architecture.md, "Numbers that define INT8 here"), computed once on
/// the host and used by both the engine and the reference pipeline, so both run on the same bits:
/// <list type="bullet">
/// <item>weights per output channel (row): s_w[k] = max|W[k]| / 127 (1 for an all-zero row), q = Quantize(w, s_w[k]);</item>
/// <item>bias_q[k] = round_half_even(bias[k] / (s_x · s_w[k])) in double, saturated to int32;</item>
/// <item>multiplier m[k] = (float)(s_x · s_w[k] / s_t) in double, s_t the scale of the accumulator's int8 target:
/// the output scale, or with a fused activation other than ReLU the scale of the pre-activation tensor;</item>
/// <item>y = clamp(round_half_even(f32(acc + bias_q[k]) · m[k]), lo, 127), lo = 0 for a fused ReLU, else −127, then for
/// another fused activation lut[y + 128], the table of that activation from s_t to s_y.</item>
/// <item>integer-only engines (<see cref="Plan.IntegerOnly"/>): the multiplier s_x·s_w[k]/s_t in double becomes a Q31
/// multiplier and shifts (<see cref="FixedPointChannel"/>), y = FixedPointMultiplier.Requantize(acc, bias_q[k], M, l, r, lo),
/// and the table is built with integers (<see cref="IntegerActivation"/>).</item>
/// </list>
/// </summary>
internal sealed class Int8Parameters
{
    // Whether every multiplier is finite: found once, not by every run's Sink.
    private readonly bool _finite;

    private Int8Parameters(sbyte[] weights, float[] weightScales, float[] multiplier, int[] bias, int lo, sbyte[]? lut, FixedPointChannel[]? fixedPoint)
    {
        FixedPoint = fixedPoint;
        Weights = weights;
        WeightScales = weightScales;
        Multiplier = multiplier;
        Bias = bias;
        Lo = lo;
        Lut = lut;
        _finite = CpuRequantizeSink.AllFinite(multiplier);
    }

    /// <summary>Quantized weights, rows in the order given.</summary>
    public sbyte[] Weights { get; }

    /// <summary>s_w per row.</summary>
    public float[] WeightScales { get; }

    /// <summary>m per row.</summary>
    public float[] Multiplier { get; }

    /// <summary>bias_q per row.</summary>
    public int[] Bias { get; }

    /// <summary>Lower clamp (0 with a fused ReLU).</summary>
    public int Lo { get; }

    /// <summary>The fused activation's table, or null (none or ReLU).</summary>
    public sbyte[]? Lut { get; }

    /// <summary>The integer-only requantize per row (bias_q, Q31 multiplier, shifts), or null for the float one.</summary>
    public FixedPointChannel[]? FixedPoint { get; }

    /// <summary>
    /// The int8 table of <paramref name="activation"/> from s_in to s_out: built with integers in an integer-only plan
    /// (<see cref="IntegerActivation.Table"/>), else from float (<see cref="Int8LookupTable.ForActivation"/>).
    /// </summary>
    public static sbyte[] ActivationTable(Plan plan, ActivationSpec activation, float inputScale, float outputScale)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.IntegerOnly
            ? IntegerActivation.Table(activation, inputScale, outputScale)
            : Int8LookupTable.ForActivation(activation, inputScale, outputScale);
    }

    /// <summary>
    /// The parameters of INT8 step <paramref name="node"/> (<paramref name="rows"/> output channels of
    /// <paramref name="rowLength"/> weights): requantize from its input's scale to its output's with its fused activation,
    /// or, with a fused residual sum, to the scale s_t = T_t/127 of the convolution's own output without an activation
    /// (the activation follows the sum, <see cref="ResidualOf"/>).
    /// </summary>
    public static Int8Parameters ForNode(Plan plan, PlanNode node, float[] weights, int rows, int rowLength, float[]? bias)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(node);
        float inputScale = plan.Tensors[node.Inputs[0]].Scale;
        return node.ResidualThreshold is { } t
            ? Create(weights, rows, rowLength, bias, inputScale, t / 127f, ActivationSpec.None, 0f, plan.IntegerOnly)
            : Create(weights, rows, rowLength, bias, inputScale, plan.Tensors[node.Output].Scale, node.Fused, node.IntermediateThreshold / 127f, plan.IntegerOnly);
    }

    /// <summary>
    /// The fused residual sum of <paramref name="node"/>: s_t = T_t/127 and the skip operand's scale → the output's scale,
    /// a ReLU after it when fused; null without one.
    /// </summary>
    public static ResidualSum? ResidualOf(Plan plan, PlanNode node)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(node);
        return node.ResidualThreshold is { } t
            ? ResidualSum.Create(t / 127f, plan.Tensors[node.Inputs[1]].Scale, plan.Tensors[node.Output].Scale, node.Fused.Kind == ActivationKind.Relu)
            : null;
    }

    /// <summary>Parameters of <paramref name="rows"/> output channels of <paramref name="rowLength"/> weights each.</summary>
    public static Int8Parameters Create(
        float[] weights, int rows, int rowLength, float[]? bias, float inputScale, float outputScale, ActivationSpec fused, float intermediateScale, bool integerOnly = false)
    {
        var exact = new double[rows];
        var q = new sbyte[weights.Length];
        var sw = new float[rows];
        var m = new float[rows];
        var b = new int[rows];
        var plain = fused.Kind is ActivationKind.None or ActivationKind.Relu;
        var target = plain ? outputScale : intermediateScale;
        for (var k = 0; k < rows; k++)
        {
            var row = weights.AsSpan(k * rowLength, rowLength);
            var max = 0f;
            foreach (var v in row)
            {
                max = Math.Max(max, Math.Abs(v));
            }

            sw[k] = max > 0f ? max / 127f : 1f;
            for (var i = 0; i < rowLength; i++)
            {
                q[(k * rowLength) + i] = (sbyte)QuantMath.Quantize(row[i], sw[k]);
            }

            var accScale = (double)inputScale * sw[k];
            exact[k] = accScale / target;
            m[k] = (float)exact[k];
            var bq = bias is null ? 0 : Math.Round(bias[k] / accScale, MidpointRounding.ToEven);
            b[k] = (int)Math.Clamp(bq, int.MinValue, int.MaxValue);
        }

        var lut = plain ? null
            : integerOnly ? IntegerActivation.Table(fused, intermediateScale, outputScale)
            : Int8LookupTable.ForActivation(fused, intermediateScale, outputScale);
        var fixedPoint = integerOnly ? FixedPointChannel.Create(b, exact) : null;
        return new Int8Parameters(q, sw, m, b, fused.Kind == ActivationKind.Relu ? 0 : -127, lut, fixedPoint);
    }

    /// <summary>The CPU backend's epilogue for int8 rows of <paramref name="stride"/> columns at <paramref name="y"/>.</summary>
    public unsafe CpuRequantizeSink Sink(sbyte* y, int stride) => FixedPoint is { } fp
        ? new CpuRequantizeSink(y, stride, fp, Lo, Lut)
        : new CpuRequantizeSink(y, stride, Multiplier, Bias, Lo, Lut, wide: true, _finite);

    /// <summary>The requantize (integer-only when <see cref="FixedPoint"/> is set; and table) of one accumulator of row k.</summary>
    public sbyte Finish(int acc, int k)
    {
        int y;
        if (FixedPoint is { } fp)
        {
            var p = fp[k];
            y = FixedPointMultiplier.Requantize(acc, p.Bias, p.Multiplier, p.LeftShift, p.RightShift, Lo);
        }
        else
        {
            y = QuantMath.Requantize(acc, Bias[k], Multiplier[k], Lo);
        }

        return Lut is null ? (sbyte)y : Lut[y + 128];
    }
}
