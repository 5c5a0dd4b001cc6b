using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// FP32 scale: y[i] = (x[i] · scale[j] + shift[j])^power[j] with j = i mod count (count = 1 per tensor, C per channel
/// in NHWC, H·W·C per element in NHWC order). The power is skipped (exactly x·scale + shift) when
/// hasPower is false. Any NaN of a negative base to a fractional power is as the C runtime's pow.
/// </summary>
public static class Scale
{
    /// <summary>Launches (asynchronous). <paramref name="scale"/>, <paramref name="shift"/> and <paramref name="power"/> hold <paramref name="count"/> values each.</summary>
    public static void Float(
        Int8Device device, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, ArrayView<float> shift, ArrayView<float> power, int count, bool hasPower)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.SameLength(x.Length, y.Length, nameof(y));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        OpArgs.AtLeast(scale.Length, count, nameof(scale));
        OpArgs.AtLeast(shift.Length, count, nameof(shift));
        if (hasPower)
        {
            OpArgs.AtLeast(power.Length, count, nameof(power));
        }

        if (x.Length % count != 0)
        {
            throw new ArgumentException($"x has {x.Length} elements, not a multiple of the {count} scale values.", nameof(x));
        }

        if (x.Length == 0)
        {
            return;
        }

        if (hasPower)
        {
            var kernel = device.GetKernel("scale.f32.pow", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(PowerKernel));
            kernel((int)x.Length, x, y, scale, shift, power, count);
        }
        else
        {
            var kernel = device.GetKernel("scale.f32", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(AffineKernel));
            kernel((int)x.Length, x, y, scale, shift, count);
        }
    }

    /// <summary>Thread i: y = x·scale + shift.</summary>
    internal static void AffineKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, ArrayView<float> shift, int count)
    {
        int j = i % count;
        y[i] = (x[i] * scale[j]) + shift[j];
    }

    /// <summary>Thread i: y = (x·scale + shift)^power.</summary>
    internal static void PowerKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, ArrayView<float> shift, ArrayView<float> power, int count)
    {
        int j = i % count;
        y[i] = XMath.Pow((x[i] * scale[j]) + shift[j], power[j]);
    }
}
