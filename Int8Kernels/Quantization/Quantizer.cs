using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Quantize float → int8: q[i] = clamp(round_half_even(x[i] · (1/s[c(i)])), -127, 127) (<see cref="QuantMath.Quantize"/>),
/// NaN → 0, +Inf → 127, -Inf → -127. One thread converts 16 elements: four 16-byte loads issued first, one 16-byte store;
/// a tail shorter than 16 (or unaligned views) goes element by element.
/// The kernels receive the reciprocals 1/s, computed once on the host.
/// </summary>
public static class Quantizer
{
    /// <summary>Per-tensor scale.</summary>
    public static void PerTensor(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        QuantArgs.SameLength(x, q, nameof(x), nameof(q));
        QuantArgs.Scale(scale, nameof(scale));
        using var scales = device.Accelerator.Allocate1D([QuantMath.Inverse(scale)]);
        Launch(device, x, q, scales.View, PerChannelIndex.PerTensor);
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
        using var deviceScales = device.Accelerator.Allocate1D(Inverses(scales));
        Launch(device, x, q, deviceScales.View, index);
        device.Synchronize();
    }

    /// <summary>1/s for each scale.</summary>
    public static float[] Inverses(ReadOnlySpan<float> scales)
    {
        var inverse = new float[scales.Length];
        for (var i = 0; i < scales.Length; i++)
        {
            inverse[i] = QuantMath.Inverse(scales[i]);
        }

        return inverse;
    }

    /// <summary>Launches on already-validated device data with reciprocal scales (asynchronous).</summary>
    internal static void Launch(Int8Device device, ArrayView<float> x, ArrayView<sbyte> q, ArrayView<float> inverseScales, PerChannelIndex index)
    {
        int n = (int)x.Length;
        int vectors = QuantArgs.Aligned16(x) && QuantArgs.Aligned16(q) ? n / 16 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("quantize.v16", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Float4>, ArrayView<Int4>, ArrayView<float>, PerChannelIndex>(VectorKernel));
            vector(vectors, x.SubView(0, vectors * 16L).Cast<Float4>(), q.SubView(0, vectors * 16L).Cast<Int4>(), inverseScales, index);
        }

        int done = vectors * 16;
        if (done < n)
        {
            var scalar = device.GetKernel("quantize.s", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, PerChannelIndex, int>(ScalarKernel));
            scalar(n - done, x.SubView(done), q.SubView(done), inverseScales, index, done);
        }
    }

    /// <summary>Thread j: elements 16j..16j+15 (the four loads first) → one 16-byte store.</summary>
    internal static void VectorKernel(Index1D j, ArrayView<Float4> x, ArrayView<Int4> q, ArrayView<float> inverseScales, PerChannelIndex index)
    {
        Float4 v0 = x[j * 4], v1 = x[(j * 4) + 1], v2 = x[(j * 4) + 2], v3 = x[(j * 4) + 3];
        var cursor = index.Start(j * 16);
        Int4 r;
        r.X = Pack(v0, ref cursor, inverseScales);
        r.Y = Pack(v1, ref cursor, inverseScales);
        r.Z = Pack(v2, ref cursor, inverseScales);
        r.W = Pack(v3, ref cursor, inverseScales);
        q[j] = r;
    }

    private static int Pack(Float4 v, ref ChannelCursor cursor, ArrayView<float> inverseScales)
    {
        int q0 = QuantMath.QuantizeWithInverse(v.X, inverseScales[cursor.Channel]);
        cursor.Advance();
        int q1 = QuantMath.QuantizeWithInverse(v.Y, inverseScales[cursor.Channel]);
        cursor.Advance();
        int q2 = QuantMath.QuantizeWithInverse(v.Z, inverseScales[cursor.Channel]);
        cursor.Advance();
        int q3 = QuantMath.QuantizeWithInverse(v.W, inverseScales[cursor.Channel]);
        cursor.Advance();
        return Saturate.PackInt32ToInt8x4(q0, q1, q2, q3);
    }

    /// <summary>Thread i: element offset + i of the whole tensor (x and q already start at offset).</summary>
    internal static void ScalarKernel(Index1D i, ArrayView<float> x, ArrayView<sbyte> q, ArrayView<float> inverseScales, PerChannelIndex index, int offset) =>
        q[i] = (sbyte)QuantMath.QuantizeWithInverse(x[i], inverseScales[index.At(offset + i)]);
}
