using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Dequantize int8 → float: x[i] = q[i] · s(i) (<see cref="QuantMath.Dequantize"/>, one IEEE multiply, exact for
/// |q| ≤ 127 up to the one rounding). s(i) is one scale (<see cref="TensorScale"/>) or per channel
/// (<see cref="ChannelScales"/>). One thread converts 8 elements with one 8-byte load and two 16-byte stores;
/// a tail (or views whose int8 side does not start on 8 bytes
/// or float side on 16) goes element by element.
/// </summary>
public static class Dequantizer
{
    /// <summary>
    /// Per-tensor scale. Throws <see cref="ArgumentException"/> before any launch on bad input. Asynchronous (the scale
    /// travels as a kernel argument): read the result through a synchronising copy. The per-channel forms synchronise.
    /// </summary>
    public static void PerTensor(Int8Device device, ArrayView<sbyte> q, ArrayView<float> x, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(q, x, nameof(q), nameof(x));
        QuantArgs.Scale(scale, nameof(scale));
        Launch(device, q, x, new TensorScale(scale));
    }

    /// <summary>Per-channel scales: channel(i) = (i / inner) mod scales.Length; the length must be a whole number of channel blocks.</summary>
    public static void PerChannel(Int8Device device, ArrayView<sbyte> q, ArrayView<float> x, ReadOnlySpan<float> scales, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(q, x, nameof(q), nameof(x));
        var index = new PerChannelIndex(scales.Length, inner);
        QuantArgs.Layout(q.Length, index, nameof(q));
        QuantArgs.Scales(scales, scales.Length, nameof(scales));
        using var deviceScales = device.Accelerator.Allocate1D(scales.ToArray());
        Launch(device, q, x, new ChannelScales(deviceScales.View, index));
        device.Synchronize();
    }

    /// <summary>
    /// Dequantizes int8 tensor <paramref name="q"/> into float tensor <paramref name="x"/> (same device, shape and format)
    /// with <paramref name="q"/>'s <see cref="DeviceTensor.Quantization"/>: per tensor, or per channel along its axis.
    /// </summary>
    public static void Run(DeviceTensor q, DeviceTensor x)
    {
        QuantArgs.Tensors(q, DataType.Int8, nameof(q), x, DataType.Float, nameof(x));
        var p = q.Quantization ?? throw new ArgumentException($"{nameof(q)} ({q}) has no quantization parameters.", nameof(q));
        if (!p.IsPerChannel)
        {
            PerTensor(q.Device, q.View<sbyte>(), x.View<float>(), p.Scale);
            return;
        }

        var index = QuantArgs.ChannelIndex(p, q.Shape, q.Format, nameof(q));
        PerChannel(q.Device, q.View<sbyte>(), x.View<float>(), p.Scales, index.Inner);
    }

    /// <summary>Launches on already-validated device data (asynchronous).</summary>
    internal static void Launch<TScales>(Int8Device device, ArrayView<sbyte> q, ArrayView<float> x, TScales scales)
        where TScales : struct, IScaleSource
    {
        int n = (int)q.Length;
        int vectors = QuantArgs.Aligned16(x) && ((IContiguousArrayView)q).IndexInBytes % 8 == 0 ? n / 8 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("dequantize.v8." + typeof(TScales).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<Float4>, TScales>(VectorKernel));
            vector(vectors, q.SubView(0, vectors * 8L).Cast<long>(), x.SubView(0, vectors * 8L).Cast<Float4>(), scales);
        }

        int done = vectors * 8;
        if (done < n)
        {
            var scalar = device.GetKernel("dequantize.s." + typeof(TScales).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<float>, TScales, int>(ScalarKernel));
            scalar(n - done, q.SubView(done), x.SubView(done), scales, done);
        }
    }

    /// <summary>Thread j: elements 8j..8j+7 from one 8-byte load (little-endian: byte b of the long is element 8j + b).</summary>
    internal static void VectorKernel<TScales>(Index1D j, ArrayView<long> q, ArrayView<Float4> x, TScales scales)
        where TScales : struct, IScaleSource
    {
        long words = q[j];
        var s = scales;
        s.Seek(j * 8);
        Float4 r0 = Unpack((int)words, ref s);
        Float4 r1 = Unpack((int)(words >> 32), ref s);
        x[j * 2] = r0;
        x[(j * 2) + 1] = r1;
    }

    // Byte b of the word (sign-extended) is element 4·word + b.
    private static Float4 Unpack<TScales>(int word, ref TScales s)
        where TScales : struct, IScaleSource
    {
        Float4 r;
        r.X = QuantMath.Dequantize((sbyte)word, s.Next());
        r.Y = QuantMath.Dequantize((sbyte)(word >> 8), s.Next());
        r.Z = QuantMath.Dequantize((sbyte)(word >> 16), s.Next());
        r.W = QuantMath.Dequantize((sbyte)(word >> 24), s.Next());
        return r;
    }

    /// <summary>Thread i: element offset + i.</summary>
    internal static void ScalarKernel<TScales>(Index1D i, ArrayView<sbyte> q, ArrayView<float> x, TScales scales, int offset)
        where TScales : struct, IScaleSource =>
        x[i] = QuantMath.Dequantize(q[i], scales.At(offset + i));
}
