using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// How one int32 accumulator of channel c becomes int8, as a struct type parameter of <see cref="Requantizer"/>:
/// with a float multiplier (<see cref="FloatRequantize"/>) or integer-only (<see cref="FixedPointRequantize"/>).
/// Each keeps its per-channel parameters in one struct per channel, so an element costs one (8- or 16-byte) load.
/// </summary>
public interface IRequantizeMath
{
    /// <summary>y = requantize(acc) for channel <paramref name="c"/>, in [lo, 127].</summary>
    int Apply(int acc, int c);
}

/// <summary>
/// Per-channel parameters of the float requantize (8 bytes: one 8-byte load; the multiplier is kept as its bits so both
/// fields are integers, which ILGPU then loads with one <c>ld.global.v2</c>).
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
public struct FloatRequantizeChannel
{
    /// <summary>int32 bias in accumulator units.</summary>
    public int Bias;

    /// <summary>IEEE bits of the float multiplier s_x·s_w/s_y.</summary>
    public uint MultiplierBits;

    /// <summary>The float multiplier.</summary>
    public readonly float Multiplier
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Interop.IntAsFloat(MultiplierBits);
    }

    /// <summary>One entry per channel.</summary>
    public static FloatRequantizeChannel[] Create(ReadOnlySpan<int> bias, ReadOnlySpan<float> multiplier)
    {
        var channels = new FloatRequantizeChannel[bias.Length];
        for (var c = 0; c < channels.Length; c++)
        {
            channels[c] = new FloatRequantizeChannel { Bias = bias[c], MultiplierBits = BitConverter.SingleToUInt32Bits(multiplier[c]) };
        }

        return channels;
    }
}

/// <summary>Per-channel parameters of the integer-only requantize (16 bytes: one load).</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct FixedPointChannel
{
    /// <summary>int32 bias in accumulator units.</summary>
    public int Bias;

    /// <summary>Q31 multiplier M in [2^30, 2^31), or 0.</summary>
    public int Multiplier;

    /// <summary>l = max(e, 0).</summary>
    public int LeftShift;

    /// <summary>r = max(−e, 0).</summary>
    public int RightShift;

    /// <summary>One entry per channel from real multipliers (<see cref="FixedPointMultiplier.FromDouble"/>).</summary>
    public static FixedPointChannel[] Create(ReadOnlySpan<int> bias, ReadOnlySpan<double> multiplier)
    {
        var channels = new FixedPointChannel[bias.Length];
        for (var c = 0; c < channels.Length; c++)
        {
            var (m, e) = FixedPointMultiplier.FromDouble(multiplier[c]);
            channels[c] = new FixedPointChannel { Bias = bias[c], Multiplier = m, LeftShift = Math.Max(e, 0), RightShift = Math.Max(-e, 0) };
        }

        return channels;
    }
}

/// <summary>y = clamp(round_half_even(f32(acc + bias[c]) · multiplier[c]), lo, 127) (<see cref="QuantMath.Requantize"/>).</summary>
/// <param name="Channels">Per-channel bias and multiplier.</param>
/// <param name="Lo">0 with a fused ReLU, else -127.</param>
public readonly record struct FloatRequantize(ArrayView<FloatRequantizeChannel> Channels, int Lo) : IRequantizeMath
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Apply(int acc, int c)
    {
        var p = Channels[c];
        return QuantMath.Requantize(acc, p.Bias, p.Multiplier, Lo);
    }
}

/// <summary>Integer-only: <see cref="FixedPointMultiplier.Requantize(int, int, int, int, int, int)"/> with per-channel (bias, M, l, r).</summary>
/// <param name="Channels">Per-channel bias, multiplier and shifts.</param>
/// <param name="Lo">0 with a fused ReLU, else -127.</param>
public readonly record struct FixedPointRequantize(ArrayView<FixedPointChannel> Channels, int Lo) : IRequantizeMath
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Apply(int acc, int c)
    {
        var p = Channels[c];
        return FixedPointMultiplier.Requantize(acc, p.Bias, p.Multiplier, p.LeftShift, p.RightShift, Lo);
    }
}
