using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Quantize float → int8: q[i] = clamp(round_half_even(x[i] / s(i)), -127, 127) (<see cref="QuantMath.Quantize"/>:
/// one IEEE division, then <c>cvt.rni.sat</c>), NaN → 0, +Inf → 127, -Inf → -127; -128 is never produced.
/// s(i) is one scale (<see cref="TensorScale"/>) or per channel (<see cref="ChannelScales"/>), a struct type parameter.
/// One thread converts 16 elements with four 16-byte loads and one 16-byte store; a tail shorter than 16 (or views that
/// do not start on 16 bytes) goes through a one-element-per-thread kernel, so any length works.
/// </summary>
public static class Quantizer
{
    /// <summary>Per-tensor scale. Throws <see cref="ArgumentException"/> before any launch on bad input.</summary>
    public static void PerTensor(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(x, q, nameof(x), nameof(q));
        QuantArgs.Scale(scale, nameof(scale));
        Launch(device, x, q, new TensorScale(scale));
    }

    /// <summary>Per-channel scales: channel(i) = (i / inner) mod scales.Length; the length must be a whole number of channel blocks.</summary>
    public static void PerChannel(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, ReadOnlySpan<float> scales, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(x, q, nameof(x), nameof(q));
        var index = new PerChannelIndex(scales.Length, inner);
        QuantArgs.Layout(x.Length, index, nameof(x));
        QuantArgs.Scales(scales, scales.Length, nameof(scales));
        using var deviceScales = device.Accelerator.Allocate1D(scales.ToArray());
        Launch(device, x, q, new ChannelScales(deviceScales.View, index));
        device.Synchronize();
    }

    /// <summary>
    /// Quantizes float tensor <paramref name="x"/> into int8 tensor <paramref name="q"/> (same device, shape and format)
    /// with <paramref name="q"/>'s <see cref="DeviceTensor.Quantization"/>: per tensor, or per channel along its axis.
    /// </summary>
    public static void Run(DeviceTensor x, DeviceTensor q)
    {
        QuantArgs.Tensors(x, DataType.Float, nameof(x), q, DataType.Int8, nameof(q));
        var p = q.Quantization ?? throw new ArgumentException($"{nameof(q)} ({q}) has no quantization parameters.", nameof(q));
        if (!p.IsPerChannel)
        {
            PerTensor(q.Device, x.View<float>(), q.View<sbyte>(), p.Scale);
            return;
        }

        var index = QuantArgs.ChannelIndex(p, q.Shape, q.Format, nameof(q));
        PerChannel(q.Device, x.View<float>(), q.View<sbyte>(), p.Scales, index.Inner);
    }

    /// <summary>Launches on already-validated device data (asynchronous).</summary>
    internal static void Launch<TScales>(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, TScales scales)
        where TScales : struct, IScaleSource
    {
        int n = (int)x.Length;
        int vectors = QuantArgs.Aligned16(x) && QuantArgs.Aligned16(q) ? n / 16 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("quantize.v16." + typeof(TScales).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Float4>, ArrayView<Int4>, TScales>(VectorKernel));
            vector(vectors, x.SubView(0, vectors * 16L).Cast<Float4>(), q.SubView(0, vectors * 16L).Cast<Int4>(), scales);
        }

        int done = vectors * 16;
        if (done < n)
        {
            var scalar = device.GetKernel("quantize.s." + typeof(TScales).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<sbyte>, TScales, int>(ScalarKernel));
            scalar(n - done, x.SubView(done), q.SubView(done), scales, done);
        }
    }

    /// <summary>Thread j: elements 16j..16j+15 (all loads first, then the one 16-byte store).</summary>
    internal static void VectorKernel<TScales>(Index1D j, ArrayView<Float4> x, ArrayView<Int4> q, TScales scales)
        where TScales : struct, IScaleSource
    {
        Float4 v0 = x[j * 4], v1 = x[(j * 4) + 1], v2 = x[(j * 4) + 2], v3 = x[(j * 4) + 3];
        var s = scales;
        s.Seek(j * 16);
        Int4 r;
        r.X = Pack(v0, ref s);
        r.Y = Pack(v1, ref s);
        r.Z = Pack(v2, ref s);
        r.W = Pack(v3, ref s);
        q[j] = r;
    }

    // Four lanes, element order X, Y, Z, W = bytes 0..3 of the word.
    private static int Pack<TScales>(Float4 v, ref TScales s)
        where TScales : struct, IScaleSource
    {
        int q0 = QuantMath.Quantize(v.X, s.Next());
        int q1 = QuantMath.Quantize(v.Y, s.Next());
        int q2 = QuantMath.Quantize(v.Z, s.Next());
        int q3 = QuantMath.Quantize(v.W, s.Next());
        return Saturate.PackInt32ToInt8x4(q0, q1, q2, q3);
    }

    /// <summary>Thread i: element offset + i of the whole tensor (x and q already start at offset).</summary>
    internal static void ScalarKernel<TScales>(Index1D i, ArrayView<float> x, ArrayView<sbyte> q, TScales scales, int offset)
        where TScales : struct, IScaleSource =>
        q[i] = (sbyte)QuantMath.Quantize(x[i], scales.At(offset + i));
}
