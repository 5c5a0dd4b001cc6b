using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Concatenation along channels of NHWC data: one input [pixels, C_i] goes to channels [offset, offset + C_i) of the output
/// [pixels, C_total]. Float: a copy. Int8: y = clamp(round_half_even(f32(q) · m), −127, 127) with m = (float)(s_in/s_out)
/// (exactly q when the scales agree, as m = 1). Int8 integer-only: y = <see cref="IntegerRescale.Apply"/>(q, s_in/s_out, −127)
/// (Q31 multiplier and rounding shifts, exactly q when the scales agree: M = 2^30, l = 1).
/// </summary>
public static class Concat
{
    /// <summary>Copies one float input into its channel slice (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, int pixels, int channels, int totalChannels, int offset)
    {
        Check(device, x.Length, y.Length, pixels, channels, totalChannels, offset);
        var kernel = device.GetKernel("concat.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(FloatKernel));
        kernel(checked(channels * pixels), x, y, channels, totalChannels, offset);
    }

    /// <summary>Copies one input of 2-byte halves into its channel slice (asynchronous).</summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, int pixels, int channels, int totalChannels, int offset)
    {
        Check(device, x.Length, y.Length, pixels, channels, totalChannels, offset);
        var kernel = device.GetKernel("concat.f16", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, int, int, int>(HalfKernel));
        kernel(checked(channels * pixels), x, y, channels, totalChannels, offset);
    }

    /// <summary>Requantizes one int8 input into its channel slice (asynchronous).</summary>
    public static void Int8(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, int pixels, int channels, int totalChannels, int offset, float multiplier)
    {
        Check(device, x.Length, y.Length, pixels, channels, totalChannels, offset);
        OpArgs.Scale(multiplier, nameof(multiplier));
        var kernel = device.GetKernel("concat.s8", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, float>(Int8Kernel));
        kernel(checked(channels * pixels), x, y, channels, totalChannels, offset, multiplier);
    }

    /// <summary>Rescales one int8 input into its channel slice with integers only (asynchronous).</summary>
    public static void Int8FixedPoint(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, int pixels, int channels, int totalChannels, int offset, FixedPointChannel rescale)
    {
        Check(device, x.Length, y.Length, pixels, channels, totalChannels, offset);
        var kernel = device.GetKernel("concat.s8.q31", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, FixedPointChannel>(Int8FixedPointKernel));
        kernel(checked(channels * pixels), x, y, channels, totalChannels, offset, rescale);
    }

    private static void Check(Int8Device device, long xLength, long yLength, int pixels, int channels, int totalChannels, int offset)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (offset < 0 || offset + channels > totalChannels)
        {
            throw new ArgumentException($"Channels [{offset}, {offset + channels}) do not fit in {totalChannels}.", nameof(offset));
        }

        OpArgs.AtLeast(xLength, (long)pixels * channels, "x");
        OpArgs.AtLeast(yLength, (long)pixels * totalChannels, "y");
    }

    /// <summary>Thread i = p·channels + c writes y[p, offset + c].</summary>
    internal static void FloatKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, int channels, int total, int offset)
    {
        int t = i;
        y[((long)(t / channels) * total) + offset + (t % channels)] = x[t];
    }

    /// <summary>Thread i = p·channels + c writes y[p, offset + c] = x[i] (halves).</summary>
    internal static void HalfKernel(Index1D i, ArrayView<ushort> x, ArrayView<ushort> y, int channels, int total, int offset)
    {
        int t = i;
        y[((long)(t / channels) * total) + offset + (t % channels)] = x[t];
    }

    /// <summary>Thread i = p·channels + c writes y[p, offset + c].</summary>
    internal static void Int8Kernel(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> y, int channels, int total, int offset, float multiplier)
    {
        int t = i;
        y[((long)(t / channels) * total) + offset + (t % channels)] = (sbyte)QuantMath.Requantize(x[t], 0, multiplier, -127);
    }

    /// <summary>Thread i = p·channels + c writes y[p, offset + c] = IntegerRescale.Apply(x[i]).</summary>
    internal static void Int8FixedPointKernel(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> y, int channels, int total, int offset, FixedPointChannel rescale)
    {
        int t = i;
        y[((long)(t / channels) * total) + offset + (t % channels)] = (sbyte)IntegerRescale.Apply(x[t], rescale, -127);
    }
}
