using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// The boundary between FP16 and INT8 steps in one pass, element-wise (same layout): quantize 2-byte halves,
/// q = clamp(round_half_even(float(h) · (1/s)), −127, 127) (<see cref="QuantMath.QuantizeWithInverse"/>, 1/s rounded on
/// the host), and dequantize to halves, h = half_RNE(q · s) (<see cref="QuantMath.Dequantize"/>, then
/// <see cref="HalfConvert.FromFloat"/>): the bits of the two-step paths through float words, without the float tensor.
/// One thread an element.
/// </summary>
public static class HalfQuantize
{
    /// <summary>y = Quantize(float(x), s) for the first <paramref name="count"/> elements (asynchronous).</summary>
    public static void Quantize(Int8Device device, ArrayView<ushort> x, ArrayView<sbyte> y, long count, float scale)
    {
        if (!Checked(device, x.Length, y.Length, count, scale))
        {
            return;
        }

        var kernel = device.GetKernel("half.quantize", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<sbyte>, float>(QuantizeKernel));
        kernel(checked((int)count), x, y, QuantMath.Inverse(scale));
    }

    /// <summary>y = half(q · s) for the first <paramref name="count"/> elements (asynchronous).</summary>
    public static void Dequantize(Int8Device device, ArrayView<sbyte> x, ArrayView<ushort> y, long count, float scale)
    {
        if (!Checked(device, x.Length, y.Length, count, scale))
        {
            return;
        }

        var kernel = device.GetKernel("half.dequantize", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<ushort>, float>(DequantizeKernel));
        kernel(checked((int)count), x, y, scale);
    }

    // The arguments checked; false when there is nothing to convert.
    private static bool Checked(Int8Device device, long x, long y, long count, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.Scale(scale, nameof(scale));
        OpArgs.AtLeast(x, count, nameof(x));
        OpArgs.AtLeast(y, count, nameof(y));
        return count != 0;
    }

    /// <summary>Thread i quantizes element i.</summary>
    internal static void QuantizeKernel(Index1D i, ArrayView<ushort> x, ArrayView<sbyte> y, float inverse) =>
        y[i] = (sbyte)QuantMath.QuantizeWithInverse(HalfConvert.ToFloat(x[i]), inverse);

    /// <summary>Thread i dequantizes element i.</summary>
    internal static void DequantizeKernel(Index1D i, ArrayView<sbyte> x, ArrayView<ushort> y, float scale) =>
        y[i] = HalfConvert.FromFloat(QuantMath.Dequantize(x[i], scale));
}
