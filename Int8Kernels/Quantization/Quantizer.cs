using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Quantize float → int8: q[i] = clamp(round_half_even(x[i] / s[c(i)]), -127, 127) (<see cref="QuantMath.Quantize"/>),
/// NaN → 0, +Inf → 127, -Inf → -127. One thread converts 16 elements with four 16-byte loads and one 16-byte store;
/// a tail shorter than 16 (or unaligned views) goes through a one-element-per-thread kernel.
/// </summary>
public static class Quantizer
{
    /// <summary>Per-tensor scale.</summary>
    public static void PerTensor(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(x, q, nameof(x), nameof(q));
        QuantArgs.Scale(scale, nameof(scale));
        using var scales = device.Accelerator.Allocate1D([scale]);
        Launch(device, x, q, scales.View, default(PerTensorIndex));
        device.Synchronize();
    }

    /// <summary>Per-channel scales: channel(i) = (i / inner) mod scales.Length.</summary>
    public static void PerChannel(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, ReadOnlySpan<float> scales, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(x, q, nameof(x), nameof(q));
        var index = new PerChannelIndex(scales.Length, inner);
        QuantArgs.Layout(x.Length, index, nameof(x));
        QuantArgs.Scales(scales, scales.Length, nameof(scales));
        using var deviceScales = device.Accelerator.Allocate1D(scales.ToArray());
        Launch(device, x, q, deviceScales.View, index);
        device.Synchronize();
    }

    /// <summary>Launches on already-validated device data (asynchronous).</summary>
    internal static void Launch<TIndex>(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, ArrayView<float> scales, TIndex index)
        where TIndex : struct, IChannelIndex
    {
        int n = (int)x.Length;
        int vectors = QuantArgs.Aligned16(x) && QuantArgs.Aligned16(q) ? n / 16 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("quantize.v16." + typeof(TIndex).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Float4>, ArrayView<Int4>, ArrayView<float>, TIndex>(VectorKernel));
            vector(vectors, x.SubView(0, vectors * 16L).Cast<Float4>(), q.SubView(0, vectors * 16L).Cast<Int4>(), scales, index);
        }

        int done = vectors * 16;
        if (done < n)
        {
            var scalar = device.GetKernel("quantize.s." + typeof(TIndex).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, TIndex, int>(ScalarKernel));
            scalar(n - done, x.SubView(done), q.SubView(done), scales, index, done);
        }
    }

    /// <summary>Thread j: elements 16j..16j+15.</summary>
    internal static void VectorKernel<TIndex>(Index1D j, ArrayView<Float4> x, ArrayView<Int4> q, ArrayView<float> scales, TIndex index)
        where TIndex : struct, IChannelIndex
    {
        int e = j * 16;
        Float4 v0 = x[j * 4], v1 = x[(j * 4) + 1], v2 = x[(j * 4) + 2], v3 = x[(j * 4) + 3];
        Int4 r;
        r.X = Pack(v0, e, scales, index);
        r.Y = Pack(v1, e + 4, scales, index);
        r.Z = Pack(v2, e + 8, scales, index);
        r.W = Pack(v3, e + 12, scales, index);
        q[j] = r;
    }

    private static int Pack<TIndex>(Float4 v, int e, ArrayView<float> scales, TIndex index)
        where TIndex : struct, IChannelIndex =>
        Saturate.PackInt32ToInt8x4(
            QuantMath.Quantize(v.X, scales[index.At(e)]),
            QuantMath.Quantize(v.Y, scales[index.At(e + 1)]),
            QuantMath.Quantize(v.Z, scales[index.At(e + 2)]),
            QuantMath.Quantize(v.W, scales[index.At(e + 3)]));

    /// <summary>Thread i: element offset + i of the whole tensor (x and q already start at offset).</summary>
    internal static void ScalarKernel<TIndex>(Index1D i, ArrayView<float> x, ArrayView<sbyte> q, ArrayView<float> scales, TIndex index, int offset)
        where TIndex : struct, IChannelIndex =>
        q[i] = (sbyte)QuantMath.Quantize(x[i], scales[index.At(offset + i)]);
}
