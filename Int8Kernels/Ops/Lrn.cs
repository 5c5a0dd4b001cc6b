using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Local response normalization across channels (as ONNX LRN), NHWC float, one thread per element:
/// y_c = x_c / (k + alpha/size · Σ_{j = c − ⌊(size−1)/2⌋}^{c + ⌈(size−1)/2⌉} x_j²)^beta, channels outside [0, C) skipped.
/// </summary>
public static class Lrn
{
    /// <summary>Launches over [pixels, channels] (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, int pixels, int channels, int size, float alpha, float beta, float k)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        OpArgs.AtLeast(x.Length, (long)pixels * channels, nameof(x));
        OpArgs.AtLeast(y.Length, (long)pixels * channels, nameof(y));
        var kernel = device.GetKernel("lrn.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, LrnArgs>(Kernel));
        kernel((int)((long)pixels * channels), x, y, new LrnArgs(channels, (size - 1) / 2, size / 2, alpha / size, beta, k));
    }

    /// <summary>Thread i = pixel·C + c.</summary>
    internal static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y, LrnArgs a)
    {
        int c = i % a.C;
        long start = i - c;
        int lo = c - a.Before < 0 ? 0 : c - a.Before;
        int hi = c + a.After >= a.C ? a.C - 1 : c + a.After;
        float sum = 0f;
        for (int j = lo; j <= hi; j++)
        {
            float v = x[start + j];
            sum += v * v;
        }

        y[i] = x[i] / XMath.Pow(a.K + (a.AlphaOverSize * sum), a.Beta);
    }

    /// <summary>Kernel arguments.</summary>
    internal readonly record struct LrnArgs(int C, int Before, int After, float AlphaOverSize, float Beta, float K);
}
