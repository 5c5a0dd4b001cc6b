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
        Check(device, x.Length, y.Length, outer, length, inner);
        var kernel = device.GetKernel("softmax.strided.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(FloatKernel));
        kernel(outer * inner, x, y, length, inner);
    }

    private static void Check(Int8Device device, long xLength, long yLength, int outer, int length, int inner)
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

        OpArgs.AtLeast(xLength, total, "x");
        OpArgs.AtLeast(yLength, total, "y");
    }

    /// <summary>
    /// Softmax of 2-byte halves along the middle axis of [outer, length, inner], half output: the float softmax of the
    /// widened values, each output rounded once (asynchronous).
    /// </summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, int outer, int length, int inner)
    {
        Check(device, x.Length, y.Length, outer, length, inner);
        Rows(device, new HalfAccess(x, y), outer, length, inner);
    }

    /// <summary>
    /// Softmax of 2-byte halves along the middle axis into float words: y = HalfConvert.Round(softmax), the half value
    /// held in a float (an FP16 step writing an engine output; asynchronous).
    /// </summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<float> y, int outer, int length, int inner)
    {
        Check(device, x.Length, y.Length, outer, length, inner);
        Rows(device, new HalfToFloatWordAccess(x, y), outer, length, inner);
    }

    /// <summary>One thread per (o, i) over <typeparamref name="TAccess"/> (checked by the caller).</summary>
    internal static void Rows<TAccess>(Int8Device device, TAccess rows, int outer, int length, int inner)
        where TAccess : struct, IFloatAccess
    {
        var kernel = device.GetKernel($"softmax.strided.{typeof(TAccess).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, TAccess, int, int>(RowsKernel));
        kernel(outer * inner, rows, length, inner);
    }

    /// <summary>Thread t = o·inner + i: the float softmax of x[(o·length + j)·inner + i] over j (<see cref="RowsKernel{TAccess}"/>).</summary>
    internal static void FloatKernel(Index1D t, ArrayView<float> x, ArrayView<float> y, int length, int inner) =>
        RowsKernel(t, new FloatAccess(x, y), length, inner);

    /// <summary>
    /// Thread t = o·inner + i: max_j x_j, sum = Σ_j exp(x_j − max), then y_j = exp(x_j − max) / sum (each exp computed
    /// again rather than parked in y, whose elements may be halves).
    /// </summary>
    internal static void RowsKernel<TAccess>(Index1D t, TAccess io, int length, int inner)
        where TAccess : struct, IFloatAccess
    {
        int o = t / inner, i = t % inner;
        long start = ((long)o * length * inner) + i;
        float max = io.X(start);
        for (int j = 1; j < length; j++)
        {
            float v = io.X(start + ((long)j * inner));
            max = v > max ? v : max;
        }

        float sum = 0f;
        for (int j = 0; j < length; j++)
        {
            sum += XMath.Exp(io.X(start + ((long)j * inner)) - max);
        }

        for (int j = 0; j < length; j++)
        {
            long e = start + ((long)j * inner);
            io.Y(e, XMath.Exp(io.X(e) - max) / sum);
        }
    }
}
