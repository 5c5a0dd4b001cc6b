using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.IntegerOnly;

/// <summary>
/// The integer-only scale layer y = x·a_j + b_j on int8 (no power), j = i mod count: per coefficient, built once in
/// double, u = s_in·|a_j| (s_in when a_j = 0), f_j = sign(a_j)·2^12, bias_j = round_half_even(b_j/u · 2^12) (saturated),
/// m_j = u/(2^12·s_out) as a Q31 multiplier; then y = <see cref="IntegerRescale.Apply"/>(f_j·q, (bias_j, m_j), −127),
/// so (f_j·q + bias_j)·m_j = (a_j·q·s_in + b_j)/s_out with integers only (|f_j·q| ≤ 2^19).
/// </summary>
public static class IntegerScale
{
    /// <summary>Fraction bits of the scaled input f·q and of the bias.</summary>
    public const int FractionBits = 12;

    /// <summary>(f_j, channel_j) for each coefficient; a and b may be empty (1 and 0), else hold count values.</summary>
    public static (int[] Factor, FixedPointChannel[] Channels) Create(ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, int count, float inputScale, float outputScale)
    {
        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        var factor = new int[count];
        var channels = new FixedPointChannel[count];
        for (var j = 0; j < count; j++)
        {
            double a = scale.IsEmpty ? 1.0 : scale[j], b = shift.IsEmpty ? 0.0 : shift[j];
            if (!double.IsFinite(a) || !double.IsFinite(b))
            {
                throw new ArgumentException($"scale coefficient {j} ({a}, {b}) is not finite.", nameof(scale));
            }

            double u = a == 0 ? inputScale : inputScale * Math.Abs(a);
            factor[j] = Math.Sign(a) << FractionBits;
            double bias = Math.Clamp(Math.Round(b / u * (1 << FractionBits), MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            channels[j] = IntegerRescale.Create(u / ((1 << FractionBits) * (double)outputScale), (int)bias);
        }

        return (factor, channels);
    }

    /// <summary>y = IntegerRescale.Apply(f·q, channel, −127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Apply(int q, int factor, FixedPointChannel channel) => IntegerRescale.Apply(factor * q, channel, -127);

    /// <summary>y[i] = Apply(x[i], factor[i mod count], channels[i mod count]) on the device (asynchronous).</summary>
    public static void Run(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<int> factor, ArrayView<FixedPointChannel> channels)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.SameLength(x.Length, y.Length, nameof(y));
        if (channels.Length == 0 || factor.Length != channels.Length || x.Length % channels.Length != 0)
        {
            throw new ArgumentException($"{channels.Length} coefficients do not divide {x.Length} elements.", nameof(channels));
        }

        if (x.Length == 0)
        {
            return;
        }

        var kernel = device.GetKernel("scale.s8.q31", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<FixedPointChannel>, int>(Kernel));
        kernel(checked((int)x.Length), x, y, factor, channels, (int)channels.Length);
    }

    /// <summary>Thread i: y[i] = Apply(x[i], factor[j], channels[j]), j = i mod count.</summary>
    internal static void Kernel(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<int> factor, ArrayView<FixedPointChannel> channels, int count)
    {
        int j = i % count;
        y[i] = (sbyte)Apply(x[i], factor[j], channels[j]);
    }
}
