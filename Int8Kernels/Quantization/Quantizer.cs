using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Quantize float → int8: q[i] = clamp(round_half_even(x[i] · (1/s(i))), -127, 127) (<see cref="QuantMath.Quantize"/>:
/// the reciprocal rounded to float once on the host, one IEEE multiply, then <c>cvt.rni.sat</c>), NaN → 0, +Inf → 127,
/// -Inf → -127; -128 is never produced. The kernels receive 1/s(i) from a struct type parameter: one value
/// (<see cref="TensorScale"/>) or one per channel (<see cref="ChannelScales"/>).
/// One thread converts 16 elements with four 16-byte loads (issued first) and one 16-byte store; a tail shorter than 16
/// (or views that do not start on 16 bytes) goes through a one-element-per-thread kernel, so any length works.
/// </summary>
public static class Quantizer
{
    /// <summary>
    /// Per-tensor scale. Throws <see cref="ArgumentException"/> before any launch on bad input. Asynchronous (the scale
    /// travels as a kernel argument): read the result through a synchronising copy. The per-channel forms synchronise.
    /// </summary>
    public static void PerTensor(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(x, q, nameof(x), nameof(q));
        QuantArgs.Scale(scale, nameof(scale));
        Launch(device, x, q, new TensorScale(QuantMath.Inverse(scale)));
    }

    /// <summary>Per-channel scales: channel(i) = (i / inner) mod scales.Length; the length must be a whole number of channel blocks.</summary>
    public static void PerChannel(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, ReadOnlySpan<float> scales, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(x, q, nameof(x), nameof(q));
        var index = new PerChannelIndex(scales.Length, inner);
        QuantArgs.Layout(x.Length, index, nameof(x));
        QuantArgs.Scales(scales, scales.Length, nameof(scales));
        using var inverses = device.Accelerator.Allocate1D(Inverses(scales));
        Launch(device, x, q, new ChannelScales(inverses.View, index));
        device.Synchronize();
    }

    /// <summary>1/s for each scale (what the kernels multiply by).</summary>
    public static float[] Inverses(ReadOnlySpan<float> scales)
    {
        var inverse = new float[scales.Length];
        for (var i = 0; i < scales.Length; i++)
        {
            inverse[i] = QuantMath.Inverse(scales[i]);
        }

        return inverse;
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

    /// <summary>Launches on already-validated device data; <paramref name="inverseScales"/> gives 1/s(i) (asynchronous).</summary>
    internal static void Launch<TScales>(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, TScales inverseScales)
        where TScales : struct, IScaleSource
    {
        int n = (int)x.Length;
        int vectors = QuantArgs.Aligned16(x) && QuantArgs.Aligned16(q) ? n / 16 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("quantize.v16." + typeof(TScales).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Float4>, ArrayView<Int4>, TScales>(VectorKernel));
            vector(vectors, x.SubView(0, vectors * 16L).Cast<Float4>(), q.SubView(0, vectors * 16L).Cast<Int4>(), inverseScales);
        }

        int done = vectors * 16;
        if (done < n)
        {
            var scalar = device.GetKernel("quantize.s." + typeof(TScales).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<sbyte>, TScales, int>(ScalarKernel));
            scalar(n - done, x.SubView(done), q.SubView(done), inverseScales, done);
        }
    }

    /// <summary>Thread j: elements 16j..16j+15 (all loads first, then the one 16-byte store).</summary>
    internal static void VectorKernel<TScales>(Index1D j, ArrayView<Float4> x, ArrayView<Int4> q, TScales inverseScales)
        where TScales : struct, IScaleSource
    {
        Float4 v0 = x[j * 4], v1 = x[(j * 4) + 1], v2 = x[(j * 4) + 2], v3 = x[(j * 4) + 3];
        var s = inverseScales;
        s.Seek(j * 16);
        Int4 r;
        r.X = Pack(v0, ref s);
        r.Y = Pack(v1, ref s);
        r.Z = Pack(v2, ref s);
        r.W = Pack(v3, ref s);
        q[j] = r;
    }

    // Four lanes, element order X, Y, Z, W = bytes 0..3 of the word; s yields 1/s(i).
    private static int Pack<TScales>(Float4 v, ref TScales s)
        where TScales : struct, IScaleSource
    {
        int q0 = QuantMath.QuantizeWithInverse(v.X, s.Next());
        int q1 = QuantMath.QuantizeWithInverse(v.Y, s.Next());
        int q2 = QuantMath.QuantizeWithInverse(v.Z, s.Next());
        int q3 = QuantMath.QuantizeWithInverse(v.W, s.Next());
        return Saturate.PackInt32ToInt8x4(q0, q1, q2, q3);
    }

    /// <summary>Thread i: element offset + i of the whole tensor (x and q already start at offset).</summary>
    internal static void ScalarKernel<TScales>(Index1D i, ArrayView<float> x, ArrayView<sbyte> q, TScales inverseScales, int offset)
        where TScales : struct, IScaleSource =>
        q[i] = (sbyte)QuantMath.QuantizeWithInverse(x[i], inverseScales.At(offset + i));
}
