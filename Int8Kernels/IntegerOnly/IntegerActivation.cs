using ILGPUInt8.Kernels.FixedPoint;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.IntegerOnly;

/// <summary>
/// The int8 → int8 activation tables of an integer-only engine, computed with integers and shifts only (the fixed-point
/// library): each scale s becomes a Q31 multiplier once (<see cref="FixedPointMultiplier.FromDouble"/>, as every
/// requantize multiplier), and every entry after that is integer arithmetic. The kernels then read the table exactly as
/// the float-built one (<see cref="Activation.Int8"/>), so CPU, GPU and reference agree by construction.
/// <list type="bullet">
/// <item>R(v, m) = <see cref="FixedPointMultiplier.Requantize(int, int, int, int, int, int)"/> of v with the multiplier m;</item>
/// <item>none: R(q, s_in/s_out); ReLU: R(max(q, 0), s_in/s_out); leaky ReLU: q ≥ 0 ? R(q, s_in/s_out) : −R(−q, α·s_in/s_out)
/// (α ≥ 0; α &lt; 0 takes R(q, |α|·s_in/s_out)); clip: clamp(R(q, s_in/s_out), round(α/s_out), round(β/s_out)) (rounding
/// is monotone, so the clamp commutes with it);</item>
/// <item>sigmoid: x = q·s_in in Q5.26 (saturated to ±32), e = exp(−|x|) (<see cref="FixedPointExp.ExpOnNegative"/>, Q0.31),
/// σ(|x|) = 1 / (1 + e) by <see cref="FixedPointTrig.Reciprocal"/> in Q·30, σ(x) = 1 − σ(|x|) for x &lt; 0; y = R(σ, 2^−30/s_out);</item>
/// <item>tanh: e = exp(−2|x|), tanh(|x|) = (1 − e)·(1/(1 + e)) in Q·30, odd; y = R(±tanh, 2^−30/s_out).</item>
/// <item>HardSwish: x = q·s_in in Q·26 (64-bit, saturated to ±2^14), g = clamp(x + 3, 0, 6) in Q·26,
/// h = g/6 in Q·23 = ⌊(g + 24)/48⌋ (integer division, rounded), y = R(q·h, s_in·2^−23/s_out) (|q·h| ≤ 2^30);</item>
/// <item>SiLU: h = σ(x) in Q·23 (the sigmoid's Q·30 value shifted right by 7, rounded), y = R(q·h, s_in·2^−23/s_out);</item>
/// <item>hard sigmoid (its own layer, <see cref="HardSigmoidTable"/>): a = α·s_in as a Q31 multiplier, b = β,
/// g = clamp(q·a + b, 0, 1) in Q·26, y = R(g, 2^−26/s_out).</item>
/// </list>
/// Each entry is within one unit of the float-built table's (<see cref="Int8LookupTable.ForActivation"/>; tested over
/// a sweep of scales).
/// </summary>
public static class IntegerActivation
{
    /// <summary>The 256-entry table lut[q + 128] of <paramref name="activation"/> from s_in to s_out.</summary>
    public static sbyte[] Table(ActivationSpec activation, float inputScale, float outputScale)
    {
        activation.Validate(nameof(activation));
        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        var lut = new sbyte[256];
        for (var q = -128; q <= 127; q++)
        {
            lut[q + 128] = (sbyte)Entry(activation, q, inputScale, outputScale);
        }

        return lut;
    }

    /// <summary>One entry of <see cref="Table"/>.</summary>
    public static int Entry(ActivationSpec activation, int q, float inputScale, float outputScale)
    {
        double ratio = (double)inputScale / outputScale;
        switch (activation.Kind)
        {
            case ActivationKind.None:
                return Requantize(q, ratio, -127);
            case ActivationKind.Relu:
                return Requantize(Math.Max(q, 0), ratio, 0);
            case ActivationKind.LeakyRelu:
                double slope = Math.Abs((double)activation.Alpha) * ratio;
                return q >= 0 ? Requantize(q, ratio, -127)
                    : activation.Alpha >= 0f ? -Requantize(-q, slope, -127) : Requantize(-q, slope, -127);
            case ActivationKind.Clip:
                int lo = Bound(activation.Alpha, outputScale), hi = Bound(activation.Beta, outputScale);
                return Math.Clamp(Requantize(q, ratio, -127), lo, hi);
            case ActivationKind.Sigmoid:
            case ActivationKind.Tanh:
                int p = activation.Kind == ActivationKind.Sigmoid ? SigmoidQ30(q, inputScale) : TanhQ30(q, inputScale);
                return Requantize(p, 1.0 / (1L << 30) / outputScale, -127);
            case ActivationKind.HardSwish:
                long g = Math.Clamp(SignedQ26(q, inputScale) + (3L << 26), 0, 6L << 26);
                return Requantize(q * (int)((g + 24) / 48), ratio / (1 << 23), -127);
            case ActivationKind.Silu:
                return Requantize(q * (int)FixedPointOps.RoundingShiftRight((long)SigmoidQ30(q, inputScale), 7), ratio / (1 << 23), -127);
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation.Kind, "Unknown activation.");
        }
    }

    /// <summary>
    /// The 256-entry table of the hard sigmoid y = clamp(α·x + β, 0, 1) from s_in to s_out, with integers after α·s_in
    /// and β become Q31 multipliers: g = clamp(q·(α·s_in) + β, 0, 1) in Q·26 (64-bit, saturated), y = R(g, 2^−26/s_out).
    /// </summary>
    public static sbyte[] HardSigmoidTable(float alpha, float beta, float inputScale, float outputScale)
    {
        if (!float.IsFinite(alpha) || !float.IsFinite(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha ({alpha}) and beta ({beta}) must be finite.");
        }

        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        long b = SignedQ26(1, beta);
        var lut = new sbyte[256];
        for (var q = -128; q <= 127; q++)
        {
            long g = Math.Clamp(SignedQ26(q, (double)alpha * inputScale) + b, 0, 1L << 26);
            lut[q + 128] = (sbyte)Requantize((int)g, 1.0 / (1 << 26) / outputScale, -127);
        }

        return lut;
    }

    /// <summary>q·s in Q·26 (64-bit) for s of either sign: |s| = M·2^(e − 31), so q·s·2^26 = ±q·M·2^(e − 5), saturated to ±2^40.</summary>
    public static long SignedQ26(int q, double s)
    {
        var (m, e) = FixedPointMultiplier.FromDouble(Math.Min(Math.Abs(s), FixedPointMultiplier.Limit / 2));
        long v = (long)q * m * (s < 0 ? -1 : 1);
        int shift = e - 5;
        if (shift <= 0)
        {
            return FixedPointOps.RoundingShiftRight(v, -shift);
        }

        // Saturate first: |v| < 2^39, and 2^40 (x = ±2^14) is past every activation's bend.
        long limit = shift >= 40 ? 0 : (1L << 40) >> shift;
        return v > limit ? 1L << 40 : v < -limit ? -(1L << 40) : v << shift;
    }

    /// <summary>x = q·s as Q5.26, saturated to [−2^31, 2^31 − 1] (±32): s = M·2^(e − 31), so x·2^26 = q·M·2^(e − 5).</summary>
    public static long InputQ26(int q, float scale)
    {
        var (m, e) = FixedPointMultiplier.FromDouble(scale);
        return FixedPointOps.ShiftSaturating((long)q * m, e - 5);
    }

    /// <summary>σ(q·s) in Q·30: σ(|x|) = 1/(1 + exp(−|x|)), 1 − σ(|x|) for negative x.</summary>
    public static int SigmoidQ30(int q, float inputScale)
    {
        long x = InputQ26(q, inputScale);
        int e = FixedPointExp.ExpOnNegative((int)Math.Max(-Math.Abs(x), int.MinValue));
        int inv = OneOverOnePlus(e);
        return x >= 0 ? inv : (1 << 30) - inv;
    }

    /// <summary>tanh(q·s) in Q·30: (1 − e)/(1 + e) with e = exp(−2|x|), odd.</summary>
    public static int TanhQ30(int q, float inputScale)
    {
        long x = InputQ26(q, inputScale);
        int e = FixedPointExp.ExpOnNegative((int)Math.Max(-2 * Math.Abs(x), int.MinValue));
        long t = FixedPointOps.RoundingShiftRight(((1L << 30) - (e >> 1)) * OneOverOnePlus(e), 30);
        return (int)(x >= 0 ? t : -t);
    }

    // 1/(1 + e) in Q·30 for e in Q0.31: the denominator 1 + e in Q1.30 is in [1, 2).
    private static int OneOverOnePlus(int e) => FixedPointTrig.Reciprocal((1 << 30) + (e >> 1), 30, 30);

    private static int Requantize(int v, double multiplier, int lo)
    {
        var (m, e) = FixedPointMultiplier.FromDouble(Math.Min(multiplier, FixedPointMultiplier.Limit / 2));
        return FixedPointMultiplier.Requantize(v, 0, m, e, lo);
    }

    private static int Bound(float value, float outputScale) =>
        (int)Math.Clamp(Math.Round(value / (double)outputScale, MidpointRounding.ToEven), -127, 127);
}
