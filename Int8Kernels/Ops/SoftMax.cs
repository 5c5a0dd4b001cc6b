using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Softmax across channels of NHWC data (the C values of a pixel are contiguous), one thread per pixel, float output.
/// Float: y_c = exp(x_c − max) / Σ_j exp(x_j − max). Int8: e_c = E[q_max − q_c] from the table of
/// <see cref="Int8LookupTable.SoftMaxExp"/> (E[d] = exp(−d·s)), sum = Σ_j e_j in channel order, y_c = e_c / sum
/// (the same float operations in the reference, so the int8 path is bit-exact).
/// </summary>
public static class SoftMax
{
    /// <summary>Float softmax over the last (channel) axis of [pixels, channels] (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, int pixels, int channels)
    {
        Check(device, x.Length, y.Length, pixels, channels);
        var kernel = device.GetKernel("softmax.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(FloatKernel));
        kernel(pixels, x, y, channels);
    }

    /// <summary>Int8 input, float output; <paramref name="expTable"/> holds 256 entries.</summary>
    public static void Int8(Int8Device device, ArrayView<sbyte> x, ArrayView<float> y, ArrayView<float> expTable, int pixels, int channels)
    {
        Check(device, x.Length, y.Length, pixels, channels);
        OpArgs.AtLeast(expTable.Length, 256, nameof(expTable));
        var kernel = device.GetKernel("softmax.s8", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, int>(Int8Kernel));
        kernel(pixels, x, y, expTable, channels);
    }

    private static void Check(Int8Device device, long xLength, long yLength, int pixels, int channels)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        OpArgs.AtLeast(xLength, (long)pixels * channels, "x");
        OpArgs.AtLeast(yLength, (long)pixels * channels, "y");
    }

    /// <summary>Thread p: the softmax of pixel p's channels.</summary>
    internal static void FloatKernel(Index1D p, ArrayView<float> x, ArrayView<float> y, int channels)
    {
        long start = (long)p.X * channels;
        float max = x[start];
        for (int c = 1; c < channels; c++)
        {
            float v = x[start + c];
            max = v > max ? v : max;
        }

        float sum = 0f;
        for (int c = 0; c < channels; c++)
        {
            float e = XMath.Exp(x[start + c] - max);
            y[start + c] = e;
            sum += e;
        }

        for (int c = 0; c < channels; c++)
        {
            y[start + c] = y[start + c] / sum;
        }
    }

    /// <summary>Thread p: the int8 softmax of pixel p's channels through the exp table.</summary>
    internal static void Int8Kernel(Index1D p, ArrayView<sbyte> x, ArrayView<float> y, ArrayView<float> exp, int channels)
    {
        long start = (long)p.X * channels;
        int max = x[start];
        for (int c = 1; c < channels; c++)
        {
            int v = x[start + c];
            max = v > max ? v : max;
        }

        float sum = 0f;
        for (int c = 0; c < channels; c++)
        {
            sum += exp[max - x[start + c]];
        }

        for (int c = 0; c < channels; c++)
        {
            y[start + c] = exp[max - x[start + c]] / sum;
        }
    }
}
