using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// The scalar formulas of INT8 here, shared by kernels (device code) and references (host code), so both
/// compute the same bits. Symmetric int8: real = q · s, q in [-127, 127].
/// </summary>
public static class QuantMath
{
    /// <summary>
    /// Quantize: q = clamp(round_half_even(x · (1/s)), -127, 127), the reciprocal 1/s rounded to float once (host side
    /// in kernels, as <see cref="Inverse"/>), then one IEEE multiply; NaN → 0, +Inf → 127, -Inf → -127.
    /// (A multiply, not a division: a division costs the memory-bound kernel a third of its bandwidth on the GPU.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Quantize(float x, float scale) => QuantizeWithInverse(x, Inverse(scale));

    /// <summary>The float reciprocal 1/s every quantize multiplies by.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Inverse(float scale) => 1f / scale;

    /// <summary>q = clamp(round_half_even(x · inverse), -127, 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int QuantizeWithInverse(float x, float inverse) => Saturate.FloatToInt8Symmetric(x * inverse);

    /// <summary>Dequantize: x = q · s (one IEEE multiply).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dequantize(int q, float scale) => q * scale;

    /// <summary>
    /// Requantize an int32 accumulator with a float multiplier:
    /// y = clamp(round_half_even(f32(acc + bias) · m), lo, 127), the sum exact in int64, rounded once to f32
    /// (round to nearest even), one IEEE multiply; lo = 0 under a fused ReLU, else -127.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Requantize(int acc, int bias, float multiplier, int lo)
    {
        float v = (float)((long)acc + bias) * multiplier;
        int q = Saturate.FloatToInt8Symmetric(v);
        return q < lo ? lo : q;
    }
}
