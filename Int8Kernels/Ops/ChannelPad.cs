using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Widens the channels of NHWC data with zeros: y[p·C' + c] = c &lt; C ? x[p·C + c] : 0 for C' ≥ C, so a 3-channel image
/// becomes 4 channels and a convolution can use the packed (multiple-of-4) implicit GEMM with zero weights in the new
/// channel (the sums do not change).
/// </summary>
public static class ChannelPad
{
    /// <summary>Launches over <paramref name="pixels"/> pixels (asynchronous).</summary>
    public static void Run<T>(Int8Device device, ArrayView<T> x, ArrayView<T> y, int pixels, int channels, int paddedChannels)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(paddedChannels, channels);
        OpArgs.AtLeast(x.Length, (long)pixels * channels, nameof(x));
        OpArgs.AtLeast(y.Length, (long)pixels * paddedChannels, nameof(y));
        var kernel = device.GetKernel("channelpad." + typeof(T).Name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int>(Kernel));
        kernel((int)((long)pixels * paddedChannels), x, y, channels, paddedChannels);
    }

    /// <summary>Thread i = p·C' + c.</summary>
    internal static void Kernel<T>(Index1D i, ArrayView<T> x, ArrayView<T> y, int channels, int padded)
        where T : unmanaged
    {
        int c = i % padded;
        y[i] = c < channels ? x[((long)(i.X / padded) * channels) + c] : default;
    }
}
