using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Local response normalization across channels (as ONNX LRN), NHWC float, one thread per element:
/// y_c = x_c / (k + alpha/size · Σ_{j = c − ⌊(size−1)/2⌋}^{c + ⌈(size−1)/2⌉} x_j²)^beta, channels outside [0, C) skipped.
/// Half: 2-byte halves widened exactly, the same float arithmetic, each output rounded once to half.
/// </summary>
public static class Lrn
{
    /// <summary>Launches over [pixels, channels] (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, int pixels, int channels, int size, float alpha, float beta, float k)
        => Launch(device, new FloatAccess(x, y), x.Length, y.Length, pixels, channels, size, alpha, beta, k);

    /// <summary>Launches over [pixels, channels] of 2-byte halves (asynchronous).</summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, int pixels, int channels, int size, float alpha, float beta, float k)
        => Launch(device, new HalfAccess(x, y), x.Length, y.Length, pixels, channels, size, alpha, beta, k);

    private static void Launch<TAccess>(Int8Device device, TAccess access, long xLength, long yLength, int pixels, int channels, int size, float alpha, float beta, float k)
        where TAccess : struct, IFloatAccess
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        OpArgs.AtLeast(xLength, (long)pixels * channels, "x");
        OpArgs.AtLeast(yLength, (long)pixels * channels, "y");
        var kernel = device.GetKernel($"lrn.{typeof(TAccess).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, TAccess, LrnArgs>(Kernel));
        kernel((int)((long)pixels * channels), access, new LrnArgs(channels, (size - 1) / 2, size / 2, alpha / size, beta, k));
    }

    /// <summary>Thread i = pixel·C + c.</summary>
    internal static void Kernel<TAccess>(Index1D i, TAccess x, LrnArgs a)
        where TAccess : struct, IFloatAccess
    {
        int c = i % a.C;
        long start = i - c;
        int lo = c - a.Before < 0 ? 0 : c - a.Before;
        int hi = c + a.After >= a.C ? a.C - 1 : c + a.After;
        float sum = 0f;
        for (int j = lo; j <= hi; j++)
        {
            float v = x.X(start + j);
            sum += v * v;
        }

        x.Y(i, x.X(i) / XMath.Pow(a.K + (a.AlphaOverSize * sum), a.Beta));
    }

    /// <summary>Kernel arguments.</summary>
    internal readonly record struct LrnArgs(int C, int Before, int After, float AlphaOverSize, float Beta, float K);
}
