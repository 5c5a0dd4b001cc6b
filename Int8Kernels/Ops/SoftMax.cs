using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Softmax across channels of NHWC data (the C values of a pixel are contiguous), float output.
/// Float: y_c = exp(x_c − max) / Σ_j exp(x_j − max). Int8: e_c = E[q_max − q_c] from the table of
/// <see cref="Int8LookupTable.SoftMaxExp"/> (E[d] = exp(−d·s)), y_c = e_c / sum.
/// <para>
/// The sum's order (the int8 path is bit-exact with <see cref="Reference.NormalizationReference.SoftMaxInt8"/>, which
/// follows it): L = <see cref="LanesPerRow"/>(C) lanes a row, 32 (one warp a pixel) when C ≥ 32, else 1 (one thread a
/// pixel). Lane l sums e_l, e_{l+L}, e_{l+2L}, … in that order from 0f into s_l; with L = 32 the lanes then combine by
/// the butterfly k = 16, 8, 4, 2, 1: s_l ← s_l + s_{l⊕k} (each lane ends with the same sum, i.e. s_0 after
/// s_l ← s_l + s_{l+k} for l &lt; k); with L = 1 the sum is s_0, channel order. The maximum is exact in any order; a
/// NaN input makes the whole row NaN (its exp poisons the sum).
/// </para>
/// </summary>
public static class SoftMax
{
    /// <summary>From this many channels on a warp handles a pixel's row; below, one thread a pixel.</summary>
    public const int WarpChannels = 32;

    private const int WarpSize = 32;
    private const int WarpsPerGroup = 4;

    /// <summary>The lanes L that share a row of <paramref name="channels"/> values: 32 when C ≥ 32, else 1.</summary>
    public static int LanesPerRow(int channels) => channels >= WarpChannels ? WarpSize : 1;

    /// <summary>
    /// Σ values in the softmax kernels' order with L lanes (a power of two ≤ 32): lane l sums values l, l + L, l + 2L, … in
    /// that order from 0f into s_l; then for k = L/2, …, 2, 1: s_l ← s_l + s_{l+k} for l &lt; k; the result is s_0. (The
    /// warp butterfly s_l ← s_l + s_{l⊕k} leaves this s_0 on every lane.) L = 1: plain left-to-right order.
    /// </summary>
    public static float SumInLaneOrder(ReadOnlySpan<float> values, int lanes)
    {
        if (lanes < 1 || lanes > 32 || (lanes & (lanes - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lanes), lanes, "Lanes must be a power of two in [1, 32].");
        }

        Span<float> s = stackalloc float[32];
        s.Clear();
        for (var l = 0; l < lanes; l++)
        {
            for (var j = l; j < values.Length; j += lanes)
            {
                s[l] += values[j];
            }
        }

        for (var k = lanes / 2; k >= 1; k /= 2)
        {
            for (var l = 0; l < k; l++)
            {
                s[l] += s[l + k];
            }
        }

        return s[0];
    }

    /// <summary>Float softmax over the last (channel) axis of [pixels, channels] (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, int pixels, int channels)
    {
        Check(device, x.Length, y.Length, pixels, channels);
        if (LanesPerRow(channels) == 1)
        {
            // One thread a pixel: the strided kernel with contiguous rows ([pixels, channels, 1]).
            SoftMaxStrided.Float(device, x, y, pixels, channels, 1);
            return;
        }

        var warp = device.GetKernel("softmax.f32.warp", a =>
            a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(FloatWarpKernel));
        warp(WarpConfig(pixels), x, y, pixels, channels);
    }

    /// <summary>
    /// Softmax of 2-byte halves, half output (asynchronous): the float softmax of the widened values (exact), each output
    /// rounded once to half (round-to-nearest-even), so the bits equal the float kernel on the widened input, packed.
    /// </summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, int pixels, int channels) =>
        HalfRows(device, new HalfAccess(x, y), x.Length, y.Length, pixels, channels);

    /// <summary>
    /// Softmax of 2-byte halves into float words (an engine output of an FP16 step): y = HalfConvert.Round(softmax), the
    /// half value held in a float (asynchronous).
    /// </summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<float> y, int pixels, int channels) =>
        HalfRows(device, new HalfToFloatWordAccess(x, y), x.Length, y.Length, pixels, channels);

    private static void HalfRows<TAccess>(Int8Device device, TAccess rows, long xLength, long yLength, int pixels, int channels)
        where TAccess : struct, IFloatAccess
    {
        Check(device, xLength, yLength, pixels, channels);
        if (LanesPerRow(channels) == 1)
        {
            SoftMaxStrided.Rows(device, rows, pixels, channels, 1);
            return;
        }

        var warp = device.GetKernel($"softmax.{typeof(TAccess).Name}.warp", a =>
            a.LoadStreamKernel<TAccess, int, int>(HalfWarpKernel<TAccess>));
        warp(WarpConfig(pixels), rows, pixels, channels);
    }

    /// <summary>Int8 input, float output; <paramref name="expTable"/> holds 256 entries.</summary>
    public static void Int8(Int8Device device, ArrayView<sbyte> x, ArrayView<float> y, ArrayView<float> expTable, int pixels, int channels)
    {
        Check(device, x.Length, y.Length, pixels, channels);
        OpArgs.AtLeast(expTable.Length, 256, nameof(expTable));
        if (LanesPerRow(channels) == 1)
        {
            var thread = device.GetKernel("softmax.s8", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, int>(Int8Kernel));
            thread(pixels, x, y, expTable, channels);
            return;
        }

        var warp = device.GetKernel("softmax.s8.warp", a =>
            a.LoadStreamKernel<ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, int, int>(Int8WarpKernel));
        warp(WarpConfig(pixels), x, y, expTable, pixels, channels);
    }

    // One warp a row, up to 4 warps a group (fewer for a few rows: each CPU-simulated thread is an OS thread).
    private static KernelConfig WarpConfig(int pixels)
    {
        int warps = Math.Min(WarpsPerGroup, pixels);
        return new KernelConfig((pixels + warps - 1) / warps, warps * WarpSize);
    }

    private static void Check(Int8Device device, long xLength, long yLength, int pixels, int channels)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        OpArgs.AtLeast(xLength, (long)pixels * channels, "x");
        OpArgs.AtLeast(yLength, (long)pixels * channels, "y");
    }

    /// <summary>Warp w, lane l: row w of floats (<see cref="WarpRow{TAccess}"/>).</summary>
    internal static void FloatWarpKernel(ArrayView<float> x, ArrayView<float> y, int pixels, int channels) =>
        WarpRow(new FloatAccess(x, y), pixels, channels);

    /// <summary>Warp w, lane l: row w of 2-byte halves, widened exactly, the outputs rounded once as <typeparamref name="TAccess"/> stores them.</summary>
    internal static void HalfWarpKernel<TAccess>(TAccess rows, int pixels, int channels)
        where TAccess : struct, IFloatAccess => WarpRow(rows, pixels, channels);

    /// <summary>Warp w, lane l: row w; lane l reads channels l, l + 32, … (coalesced), the sums combined by the butterfly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WarpRow<TAccess>(TAccess io, int pixels, int channels)
        where TAccess : struct, IFloatAccess
    {
        int row = Grid.GlobalIndex.X / WarpSize;
        if (row >= pixels)
        {
            return; // a whole warp leaves together (groups are whole warps)
        }

        int lane = Warp.LaneIdx;
        long start = (long)row * channels;

        // Each loop takes four of the lane's channels a step (four independent loads in flight), then the rest one at a
        // time; the sum still adds e_l, e_{l+32}, … in order.
        float max = float.NegativeInfinity;
        int c = lane;
        for (; c + (3 * WarpSize) < channels; c += 4 * WarpSize)
        {
            float v0 = io.X(start + c), v1 = io.X(start + c + WarpSize), v2 = io.X(start + c + (2 * WarpSize)), v3 = io.X(start + c + (3 * WarpSize));
            max = v0 > max ? v0 : max;
            max = v1 > max ? v1 : max;
            max = v2 > max ? v2 : max;
            max = v3 > max ? v3 : max;
        }

        for (; c < channels; c += WarpSize)
        {
            float v = io.X(start + c);
            max = v > max ? v : max;
        }

        max = WarpMax(max);
        float sum = 0f;
        c = lane;
        for (; c + (3 * WarpSize) < channels; c += 4 * WarpSize)
        {
            float v0 = io.X(start + c), v1 = io.X(start + c + WarpSize), v2 = io.X(start + c + (2 * WarpSize)), v3 = io.X(start + c + (3 * WarpSize));
            sum += XMath.Exp(v0 - max);
            sum += XMath.Exp(v1 - max);
            sum += XMath.Exp(v2 - max);
            sum += XMath.Exp(v3 - max);
        }

        for (; c < channels; c += WarpSize)
        {
            sum += XMath.Exp(io.X(start + c) - max);
        }

        sum = WarpSum(sum);
        c = lane;
        for (; c + (3 * WarpSize) < channels; c += 4 * WarpSize)
        {
            float v0 = io.X(start + c), v1 = io.X(start + c + WarpSize), v2 = io.X(start + c + (2 * WarpSize)), v3 = io.X(start + c + (3 * WarpSize));
            io.Y(start + c, XMath.Exp(v0 - max) / sum);
            io.Y(start + c + WarpSize, XMath.Exp(v1 - max) / sum);
            io.Y(start + c + (2 * WarpSize), XMath.Exp(v2 - max) / sum);
            io.Y(start + c + (3 * WarpSize), XMath.Exp(v3 - max) / sum);
        }

        for (; c < channels; c += WarpSize)
        {
            io.Y(start + c, XMath.Exp(io.X(start + c) - max) / sum);
        }
    }

    /// <summary>Thread p: the int8 softmax of pixel p's channels through the exp table (L = 1).</summary>
    internal static void Int8Kernel(Index1D p, ArrayView<sbyte> x, ArrayView<float> y, ArrayView<float> exp, int channels) =>
        Int8ThreadRow(new Int8Access(x), y, exp, (long)p.X * channels, channels);

    /// <summary>One thread, the int8 softmax of the row at <paramref name="start"/> in channel order (L = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Int8ThreadRow<TAccess>(TAccess x, ArrayView<float> y, ArrayView<float> exp, long start, int channels)
        where TAccess : struct, IInt8Access
    {
        int max = x.X(start);
        for (int c = 1; c < channels; c++)
        {
            int v = x.X(start + c);
            max = v > max ? v : max;
        }

        float sum = 0f;
        for (int c = 0; c < channels; c++)
        {
            sum += exp[max - x.X(start + c)];
        }

        for (int c = 0; c < channels; c++)
        {
            y[start + c] = exp[max - x.X(start + c)] / sum;
        }
    }

    /// <summary>Warp w, lane l: the int8 softmax of row w (<see cref="Int8WarpRow{TAccess}"/>).</summary>
    internal static void Int8WarpKernel(ArrayView<sbyte> x, ArrayView<float> y, ArrayView<float> exp, int pixels, int channels)
    {
        int row = Grid.GlobalIndex.X / WarpSize;
        if (row >= pixels)
        {
            return;
        }

        Int8WarpRow(new Int8Access(x), y, exp, (long)row * channels, channels);
    }

    /// <summary>
    /// The calling warp, lane l: the int8 softmax of the row at <paramref name="start"/>, lane l summing e_l, e_{l+32}, …,
    /// then the butterfly (every lane of the warp calls it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Int8WarpRow<TAccess>(TAccess x, ArrayView<float> y, ArrayView<float> exp, long start, int channels)
        where TAccess : struct, IInt8Access
    {
        int lane = Warp.LaneIdx;

        // Four of the lane's channels a step, then the rest (as the float kernel); the sum adds e_l, e_{l+32}, … in order.
        int max = -128;
        int c = lane;
        for (; c + (3 * WarpSize) < channels; c += 4 * WarpSize)
        {
            int v0 = x.X(start + c), v1 = x.X(start + c + WarpSize), v2 = x.X(start + c + (2 * WarpSize)), v3 = x.X(start + c + (3 * WarpSize));
            max = IntrinsicMath.Max(max, IntrinsicMath.Max(IntrinsicMath.Max(v0, v1), IntrinsicMath.Max(v2, v3)));
        }

        for (; c < channels; c += WarpSize)
        {
            max = IntrinsicMath.Max(max, x.X(start + c));
        }

        max = WarpMax(max);
        float sum = 0f;
        c = lane;
        for (; c + (3 * WarpSize) < channels; c += 4 * WarpSize)
        {
            int v0 = x.X(start + c), v1 = x.X(start + c + WarpSize), v2 = x.X(start + c + (2 * WarpSize)), v3 = x.X(start + c + (3 * WarpSize));
            float e0 = exp[max - v0], e1 = exp[max - v1], e2 = exp[max - v2], e3 = exp[max - v3];
            sum += e0;
            sum += e1;
            sum += e2;
            sum += e3;
        }

        for (; c < channels; c += WarpSize)
        {
            sum += exp[max - x.X(start + c)];
        }

        sum = WarpSum(sum);
        c = lane;
        for (; c + (3 * WarpSize) < channels; c += 4 * WarpSize)
        {
            int v0 = x.X(start + c), v1 = x.X(start + c + WarpSize), v2 = x.X(start + c + (2 * WarpSize)), v3 = x.X(start + c + (3 * WarpSize));
            float e0 = exp[max - v0], e1 = exp[max - v1], e2 = exp[max - v2], e3 = exp[max - v3];
            y[start + c] = e0 / sum;
            y[start + c + WarpSize] = e1 / sum;
            y[start + c + (2 * WarpSize)] = e2 / sum;
            y[start + c + (3 * WarpSize)] = e3 / sum;
        }

        for (; c < channels; c += WarpSize)
        {
            y[start + c] = exp[max - x.X(start + c)] / sum;
        }
    }

    // s_l ← s_l + s_{l⊕k} for k = 16, 8, 4, 2, 1 (the order of the class comment).
    private static float WarpSum(float s)
    {
        s += Warp.ShuffleXor(s, 16);
        s += Warp.ShuffleXor(s, 8);
        s += Warp.ShuffleXor(s, 4);
        s += Warp.ShuffleXor(s, 2);
        s += Warp.ShuffleXor(s, 1);
        return s;
    }

    // The maximum of the warp's values, on every lane (NaN never wins a comparison).
    private static float WarpMax(float m)
    {
        float o = Warp.ShuffleXor(m, 16);
        m = o > m ? o : m;
        o = Warp.ShuffleXor(m, 8);
        m = o > m ? o : m;
        o = Warp.ShuffleXor(m, 4);
        m = o > m ? o : m;
        o = Warp.ShuffleXor(m, 2);
        m = o > m ? o : m;
        o = Warp.ShuffleXor(m, 1);
        return o > m ? o : m;
    }

    private static int WarpMax(int m)
    {
        m = IntrinsicMath.Max(m, Warp.ShuffleXor(m, 16));
        m = IntrinsicMath.Max(m, Warp.ShuffleXor(m, 8));
        m = IntrinsicMath.Max(m, Warp.ShuffleXor(m, 4));
        m = IntrinsicMath.Max(m, Warp.ShuffleXor(m, 2));
        return IntrinsicMath.Max(m, Warp.ShuffleXor(m, 1));
    }
}
