using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Dequantize int8 → float: x[i] = q[i] · s[c(i)] (<see cref="QuantMath.Dequantize"/>). One thread converts 4 elements:
/// one 4-byte load, one 16-byte store (a warp's accesses contiguous); a tail (or unaligned views) goes element by element.
/// </summary>
public static class Dequantizer
{
    /// <summary>Per-tensor scale.</summary>
    public static void PerTensor(Int8Device device, ArrayView<sbyte> q, ArrayView<float> x, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(q, x, nameof(q), nameof(x));
        QuantArgs.Scale(scale, nameof(scale));
        using var scales = device.Accelerator.Allocate1D([scale]);
        Launch(device, q, x, scales.View, PerChannelIndex.PerTensor);
        device.Synchronize();
    }

    /// <summary>Per-channel scales: channel(i) = (i / inner) mod scales.Length.</summary>
    public static void PerChannel(Int8Device device, ArrayView<sbyte> q, ArrayView<float> x, ReadOnlySpan<float> scales, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(q, x, nameof(q), nameof(x));
        var index = new PerChannelIndex(scales.Length, inner);
        QuantArgs.Layout(q.Length, index, nameof(q));
        QuantArgs.Scales(scales, scales.Length, nameof(scales));
        using var deviceScales = device.Accelerator.Allocate1D(scales.ToArray());
        Launch(device, q, x, deviceScales.View, index);
        device.Synchronize();
    }

    /// <summary>Launches on already-validated device data (asynchronous).</summary>
    internal static void Launch(Int8Device device, ArrayView<sbyte> q, ArrayView<float> x, ArrayView<float> scales, PerChannelIndex index)
    {
        int n = (int)q.Length;
        int vectors = QuantArgs.Aligned16(x) && ((IContiguousArrayView)q).IndexInBytes % 4 == 0 ? n / 4 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("dequantize.v4", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<Float4>, ArrayView<float>, PerChannelIndex>(VectorKernel));
            vector(vectors, q.SubView(0, vectors * 4L).Cast<int>(), x.SubView(0, vectors * 4L).Cast<Float4>(), scales, index);
        }

        int done = vectors * 4;
        if (done < n)
        {
            var scalar = device.GetKernel("dequantize.s", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, PerChannelIndex, int>(ScalarKernel));
            scalar(n - done, q.SubView(done), x.SubView(done), scales, index, done);
        }
    }

    /// <summary>Thread j: elements 4j..4j+3 from one packed word.</summary>
    internal static void VectorKernel(Index1D j, ArrayView<int> q, ArrayView<Float4> x, ArrayView<float> scales, PerChannelIndex index)
    {
        int word = q[j];
        var cursor = index.Start(j * 4);
        Float4 r;
        r.X = QuantMath.Dequantize((sbyte)word, scales[cursor.Channel]);
        cursor.Advance();
        r.Y = QuantMath.Dequantize((sbyte)(word >> 8), scales[cursor.Channel]);
        cursor.Advance();
        r.Z = QuantMath.Dequantize((sbyte)(word >> 16), scales[cursor.Channel]);
        cursor.Advance();
        r.W = QuantMath.Dequantize((sbyte)(word >> 24), scales[cursor.Channel]);
        x[j] = r;
    }

    /// <summary>Thread i: element offset + i.</summary>
    internal static void ScalarKernel(Index1D i, ArrayView<sbyte> q, ArrayView<float> x, ArrayView<float> scales, PerChannelIndex index, int offset) =>
        x[i] = QuantMath.Dequantize(q[i], scales[index.At(offset + i)]);
}
