using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Float softmax along any one axis of a dense tensor seen as [outer, length, inner] (C order): for every (o, i) the
/// <c>length</c> values x[(o·length + j)·inner + i], j = 0..length − 1, become y_j = exp(x_j − max) / Σ_k exp(x_k − max).
/// NHWC along W is (N·H, W, C); along H it is (N, H, W·C); along C it is (N·H·W, C, 1), which <see cref="SoftMax"/>
/// hands to this kernel below 32 channels (from 32 on it runs a warp a row; it also has the INT8 form). One thread per (o, i); reference
/// <c>NormalizationReference.SoftMax(x, outer, length, inner)</c> (exp in double there, so within float rounding).
/// </summary>
public static class SoftMaxStrided
{
    /// <summary>Float softmax along the middle axis of [outer, length, inner] (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, int outer, int length, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inner);
        long total = (long)outer * length * inner;
        if (total > int.MaxValue)
        {
            throw new ArgumentException($"[{outer}, {length}, {inner}] has over 2^31 elements.", nameof(outer));
        }

        OpArgs.AtLeast(x.Length, total, nameof(x));
        OpArgs.AtLeast(y.Length, total, nameof(y));
        var kernel = device.GetKernel("softmax.strided.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(FloatKernel));
        kernel(outer * inner, x, y, length, inner);
    }

    /// <summary>Thread t = o·inner + i: the softmax of x[(o·length + j)·inner + i] over j.</summary>
    internal static void FloatKernel(Index1D t, ArrayView<float> x, ArrayView<float> y, int length, int inner)
    {
        int o = t / inner, i = t % inner;
        long start = ((long)o * length * inner) + i;
        float max = x[start];
        for (int j = 1; j < length; j++)
        {
            float v = x[start + ((long)j * inner)];
            max = v > max ? v : max;
        }

        // sum = Σ_j exp(x_j − max), the exps parked in y; then y_j = exp(x_j − max) / sum.
        float sum = 0f;
        for (int j = 0; j < length; j++)
        {
            long e = start + ((long)j * inner);
            float v = XMath.Exp(x[e] - max);
            y[e] = v;
            sum += v;
        }

        for (int j = 0; j < length; j++)
        {
            long e = start + ((long)j * inner);
            y[e] = y[e] / sum;
        }
    }
}
