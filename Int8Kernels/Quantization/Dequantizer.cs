using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Dequantize int8 → float: x[i] = q[i] · s[c(i)] (<see cref="QuantMath.Dequantize"/>). One thread converts 8 elements:
/// one 8-byte load, two 16-byte stores; a tail (or unaligned views) goes element by element.
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
        int vectors = QuantArgs.Aligned16(x) && ((IContiguousArrayView)q).IndexInBytes % 8 == 0 ? n / 8 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("dequantize.v8", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<Float4>, ArrayView<float>, PerChannelIndex>(VectorKernel));
            vector(vectors, q.SubView(0, vectors * 8L).Cast<long>(), x.SubView(0, vectors * 8L).Cast<Float4>(), scales, index);
        }

        int done = vectors * 8;
        if (done < n)
        {
            var scalar = device.GetKernel("dequantize.s", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, PerChannelIndex, int>(ScalarKernel));
            scalar(n - done, q.SubView(done), x.SubView(done), scales, index, done);
        }
    }

    /// <summary>Thread j: elements 8j..8j+7 from one 8-byte load.</summary>
    internal static void VectorKernel(Index1D j, ArrayView<long> q, ArrayView<Float4> x, ArrayView<float> scales, PerChannelIndex index)
    {
        long words = q[j];
        var cursor = index.Start(j * 8);
        Float4 r0 = Unpack((int)words, ref cursor, scales);
        Float4 r1 = Unpack((int)(words >> 32), ref cursor, scales);
        x[j * 2] = r0;
        x[(j * 2) + 1] = r1;
    }

    private static Float4 Unpack(int word, ref ChannelCursor cursor, ArrayView<float> scales)
    {
        Float4 r;
        r.X = QuantMath.Dequantize((sbyte)word, scales[cursor.Channel]);
        cursor.Advance();
        r.Y = QuantMath.Dequantize((sbyte)(word >> 8), scales[cursor.Channel]);
        cursor.Advance();
        r.Z = QuantMath.Dequantize((sbyte)(word >> 16), scales[cursor.Channel]);
        cursor.Advance();
        r.W = QuantMath.Dequantize((sbyte)(word >> 24), scales[cursor.Channel]);
        cursor.Advance();
        return r;
    }

    /// <summary>Thread i: element offset + i.</summary>
    internal static void ScalarKernel(Index1D i, ArrayView<sbyte> q, ArrayView<float> x, ArrayView<float> scales, PerChannelIndex index, int offset) =>
        x[i] = QuantMath.Dequantize(q[i], scales[index.At(offset + i)]);
}
