using System.Runtime.CompilerServices;
using ILGPU;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// How one int32 accumulator of channel c becomes int8, as a struct type parameter of <see cref="Requantizer"/>:
/// with a float multiplier (<see cref="FloatRequantize"/>) or integer-only (<see cref="FixedPointRequantize"/>).
/// </summary>
public interface IRequantizeMath
{
    /// <summary>y = requantize(acc) for channel <paramref name="c"/>, in [lo, 127].</summary>
    int Apply(int acc, int c);
}

/// <summary>y = clamp(round_half_even(f32(acc + bias[c]) · multiplier[c]), lo, 127) (<see cref="QuantMath.Requantize"/>).</summary>
/// <param name="Bias">Per-channel int32 bias.</param>
/// <param name="Multiplier">Per-channel float multiplier.</param>
/// <param name="Lo">0 with a fused ReLU, else -127.</param>
public readonly record struct FloatRequantize(ArrayView<int> Bias, ArrayView<float> Multiplier, int Lo) : IRequantizeMath
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Apply(int acc, int c) => QuantMath.Requantize(acc, Bias[c], Multiplier[c], Lo);
}

/// <summary>Integer-only: <see cref="FixedPointMultiplier.Requantize"/> with per-channel (M, e).</summary>
/// <param name="Bias">Per-channel int32 bias.</param>
/// <param name="Multiplier">Per-channel Q31 multiplier M.</param>
/// <param name="Shift">Per-channel exponent e.</param>
/// <param name="Lo">0 with a fused ReLU, else -127.</param>
public readonly record struct FixedPointRequantize(ArrayView<int> Bias, ArrayView<int> Multiplier, ArrayView<int> Shift, int Lo) : IRequantizeMath
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Apply(int acc, int c) => FixedPointMultiplier.Requantize(acc, Bias[c], Multiplier[c], Shift[c], Lo);
}
