using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Exact int8 → int8 functions as 256-entry tables built on the host from the input and output scales:
/// lut[q + 128] = Quantize(f(q · s_in), s_out) = clamp(round_half_even(f(q·s_in) · (1/s_out)), −127, 127), q ∈ [−128, 127].
/// The kernel and the reference read the same table, so int8 activations are bit-exact by construction.
/// </summary>
public static class Int8LookupTable
{
    /// <summary>The table of <paramref name="activation"/> (f evaluated by <see cref="ActivationSpec.Apply"/>).</summary>
    public static sbyte[] ForActivation(ActivationSpec activation, float inputScale, float outputScale)
    {
        activation.Validate(nameof(activation));
        return Build(activation.Apply, inputScale, outputScale);
    }

    /// <summary>The table of any host function f.</summary>
    public static sbyte[] Build(Func<float, float> f, float inputScale, float outputScale)
    {
        ArgumentNullException.ThrowIfNull(f);
        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        var lut = new sbyte[256];
        for (var q = -128; q <= 127; q++)
        {
            lut[q + 128] = (sbyte)QuantMath.Quantize(f(QuantMath.Dequantize(q, inputScale)), outputScale);
        }

        return lut;
    }

    /// <summary>
    /// The exponential table of the int8 softmax: e[d] = (float)exp(−d · s) for d = q_max − q ∈ [0, 255]
    /// (exp in double, rounded once to float).
    /// </summary>
    public static float[] SoftMaxExp(float inputScale)
    {
        OpArgs.Scale(inputScale, nameof(inputScale));
        var e = new float[256];
        for (var d = 0; d < 256; d++)
        {
            e[d] = (float)Math.Exp(-(double)d * inputScale);
        }

        return e;
    }
}
