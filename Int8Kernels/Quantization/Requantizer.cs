using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Requantize int32 accumulators to int8 per channel: y[i] = R(acc[i], c(i)) with R a float multiplier
/// (y = clamp(round_half_even(f32(acc + bias[c]) · m[c]), lo, 127)) or integer-only (gemmlowp multiplier + shift);
/// lo = 0 with a fused ReLU, else -127. The channel of element i is (i / inner) mod channels
/// (inner = 1 for NHWC / GEMM rows). One thread: four 16-byte loads, one 16-byte store.
/// </summary>
public static class Requantizer
{
    /// <summary>Float multiplier per channel (<paramref name="bias"/>, <paramref name="multiplier"/> one per channel).</summary>
    public static void WithFloatMultiplier(
        Int8Device device, ArrayView<int> acc, ArrayView<sbyte> y, ReadOnlySpan<int> bias, ReadOnlySpan<float> multiplier, int inner, bool relu)
    {
        ArgumentNullException.ThrowIfNull(device);
        var index = Validate(acc, y, bias, multiplier.Length, inner);
        QuantArgs.Scales(multiplier, bias.Length, nameof(multiplier));
        using var channels = device.Accelerator.Allocate1D(FloatRequantizeChannel.Create(bias, multiplier));
        Launch(device, acc, y, new FloatRequantize(channels.View, relu ? 0 : -127), index);
        device.Synchronize();
    }

    /// <summary>Integer-only: each float multiplier is converted by <see cref="FixedPointMultiplier.FromDouble"/>.</summary>
    public static void WithFixedPoint(
        Int8Device device, ArrayView<int> acc, ArrayView<sbyte> y, ReadOnlySpan<int> bias, ReadOnlySpan<double> multiplier, int inner, bool relu)
    {
        ArgumentNullException.ThrowIfNull(device);
        var index = Validate(acc, y, bias, multiplier.Length, inner);
        for (var i = 0; i < multiplier.Length; i++)
        {
            if (!(multiplier[i] > 0) || multiplier[i] >= FixedPointMultiplier.Limit)
            {
                throw new ArgumentException($"{nameof(multiplier)}[{i}] = {multiplier[i]} must be > 0 and < 2^31 - 1/2.", nameof(multiplier));
            }
        }

        using var channels = device.Accelerator.Allocate1D(FixedPointChannel.Create(bias, multiplier));
        Launch(device, acc, y, new FixedPointRequantize(channels.View, relu ? 0 : -127), index);
        device.Synchronize();
    }

    /// <summary>
    /// Float multiplier per output channel (axis C) of int32 tensor <paramref name="acc"/> into int8 tensor <paramref name="y"/>
    /// (same device, shape and format; a [rows, cols] GEMM output is shape (rows, cols, 1, 1)).
    /// </summary>
    public static void WithFloatMultiplier(DeviceTensor acc, DeviceTensor y, ReadOnlySpan<int> bias, ReadOnlySpan<float> multiplier, bool relu)
    {
        var inner = TensorInner(acc, y, bias.Length);
        WithFloatMultiplier(acc.Device, acc.View<int>(), y.View<sbyte>(), bias, multiplier, inner, relu);
    }

    /// <summary>Integer-only requantize per output channel (axis C) of tensors, as <see cref="WithFloatMultiplier(DeviceTensor, DeviceTensor, ReadOnlySpan{int}, ReadOnlySpan{float}, bool)"/>.</summary>
    public static void WithFixedPoint(DeviceTensor acc, DeviceTensor y, ReadOnlySpan<int> bias, ReadOnlySpan<double> multiplier, bool relu)
    {
        var inner = TensorInner(acc, y, bias.Length);
        WithFixedPoint(acc.Device, acc.View<int>(), y.View<sbyte>(), bias, multiplier, inner, relu);
    }

    private static int TensorInner(DeviceTensor acc, DeviceTensor y, int channels)
    {
        QuantArgs.Tensors(acc, DataType.Int32, nameof(acc), y, DataType.Int8, nameof(y));
        var index = PerChannelIndex.ForAxis(acc.Shape, acc.Format, 1, nameof(acc));
        if (channels != index.Channels)
        {
            throw new ArgumentException($"bias has {channels} values for {index.Channels} channels of {acc.Shape}.", "bias");
        }

        return index.Inner;
    }

    private static PerChannelIndex Validate(ArrayView<int> acc, ArrayView<sbyte> y, ReadOnlySpan<int> bias, int multipliers, int inner)
    {
        QuantArgs.SameLength(acc, y, nameof(acc), nameof(y));
        if (bias.Length == 0 || bias.Length != multipliers)
        {
            throw new ArgumentException($"bias has {bias.Length} values but multiplier has {multipliers}; both need one per channel.", nameof(bias));
        }

        var index = new PerChannelIndex(bias.Length, inner);
        QuantArgs.Layout(acc.Length, index, nameof(acc));
        return index;
    }

    /// <summary>Launches on already-validated device data (asynchronous).</summary>
    internal static void Launch<TMath>(Int8Device device, ArrayView<int> acc, ArrayView<sbyte> y, TMath math, PerChannelIndex index)
        where TMath : struct, IRequantizeMath
    {
        int n = (int)acc.Length;
        int vectors = QuantArgs.Aligned16(acc) && QuantArgs.Aligned16(y) ? n / 16 : 0;
        if (vectors > 0)
        {
            var vector = device.GetKernel("requantize.v16." + typeof(TMath).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Int4>, ArrayView<Int4>, TMath, PerChannelIndex>(VectorKernel));
            vector(vectors, acc.SubView(0, vectors * 16L).Cast<Int4>(), y.SubView(0, vectors * 16L).Cast<Int4>(), math, index);
        }

        int done = vectors * 16;
        if (done < n)
        {
            var scalar = device.GetKernel("requantize.s." + typeof(TMath).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<sbyte>, TMath, PerChannelIndex, int>(ScalarKernel));
            scalar(n - done, acc.SubView(done), y.SubView(done), math, index, done);
        }
    }

    /// <summary>Thread j: accumulators 16j..16j+15 (four 16-byte loads first) → one 16-byte store of int8.</summary>
    internal static void VectorKernel<TMath>(Index1D j, ArrayView<Int4> acc, ArrayView<Int4> y, TMath math, PerChannelIndex index)
        where TMath : struct, IRequantizeMath
    {
        Int4 a0 = acc[j * 4], a1 = acc[(j * 4) + 1], a2 = acc[(j * 4) + 2], a3 = acc[(j * 4) + 3];
        var cursor = index.Start(j * 16);
        Int4 r;
        r.X = Pack(a0, ref cursor, math);
        r.Y = Pack(a1, ref cursor, math);
        r.Z = Pack(a2, ref cursor, math);
        r.W = Pack(a3, ref cursor, math);
        y[j] = r;
    }

    private static int Pack<TMath>(Int4 a, ref ChannelCursor cursor, TMath math)
        where TMath : struct, IRequantizeMath
    {
        int q0 = math.Apply(a.X, cursor.Channel);
        cursor.Advance();
        int q1 = math.Apply(a.Y, cursor.Channel);
        cursor.Advance();
        int q2 = math.Apply(a.Z, cursor.Channel);
        cursor.Advance();
        int q3 = math.Apply(a.W, cursor.Channel);
        cursor.Advance();
        return Saturate.PackInt32ToInt8x4(q0, q1, q2, q3);
    }

    /// <summary>Thread i: element offset + i.</summary>
    internal static void ScalarKernel<TMath>(Index1D i, ArrayView<int> acc, ArrayView<sbyte> y, TMath math, PerChannelIndex index, int offset)
        where TMath : struct, IRequantizeMath =>
        y[i] = (sbyte)math.Apply(acc[i], index.At(offset + i));
}
