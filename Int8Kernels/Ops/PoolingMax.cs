using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Max pooling over NHWC [N, H, W, C] → [N, P, Q, C] in 3×3 blocks of taps: y[n, p, q, c] = max over the window's valid
/// (h, w) of x[n, h, w, c]. Int8: exact, so any order; the output keeps the input scale. One thread an output pixel's
/// group of V channels, V = 16 (one 16-byte <see cref="Int4"/> a tap) when C is a multiple of 16 and the views start on
/// 16 bytes, else 4 (one word) when C is a multiple of 4 and the views start on 4 bytes, else 1. FP16
/// (<see cref="RunHalf"/>): 8 halves a thread (one 16-byte word), each channel as <see cref="Pooling.HalfKernel{TOp}"/>
/// computes it. Thread i writes element i of y viewed as [N·P·Q, C/V], so a warp's loads and stores run along the
/// channels (coalesced).
/// <para>
/// The window is walked in 3×3 blocks of taps whose rows and columns are clamped to the last valid one
/// (h, min(h+1, h_last), min(h+2, h_last)), so a block's nine loads are independent (all in flight at once) and always
/// inside the input; a repeated tap cannot change a maximum. The ResNet stem pool (3×3, stride 2, pad 1) is one block.
/// Index math is 32-bit (the problem is validated to hold under 2^31 elements).
/// </para>
/// </summary>
internal static class PoolingMax
{
    /// <summary>Launches on validated data (asynchronous).</summary>
    internal static void Run(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, PoolGeometry g)
    {
        int outputs = checked(g.N * g.P * g.Q);
        if (g.C % 16 == 0 && QuantArgs.Aligned16(x) && QuantArgs.Aligned16(y))
        {
            int lanes = g.C / 16;
            Load<Int4, MaxLanes16>(device, "pool.s8.max.x16")(
                checked(outputs * lanes), Vectors<Int4>(x, 16), Vectors<Int4>(y, 16), g, lanes);
        }
        else if (g.C % 4 == 0 && QuantArgs.Aligned(x, 4) && QuantArgs.Aligned(y, 4))
        {
            int lanes = g.C / 4;
            Load<int, MaxLanes4>(device, "pool.s8.max.x4")(checked(outputs * lanes), Vectors<int>(x, 4), Vectors<int>(y, 4), g, lanes);
        }
        else
        {
            Load<sbyte, MaxLanes1>(device, "pool.s8.max")(checked(outputs * g.C), x, y, g, g.C);
        }
    }

    /// <summary>
    /// FP16 max pooling on validated data with C a multiple of 8, both views on 16 bytes and a window at most 3 wide
    /// (asynchronous). The float max a = (v &gt; a ? v : a) keeps the first of equal values (+0 or −0), so the taps must
    /// come in the reference's order, row by row: a block's nine are, and with S ≤ 3 one block spans a window's width.
    /// </summary>
    internal static void RunHalf(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, PoolGeometry g)
    {
        if (g.S > 3)
        {
            throw new ArgumentException($"The blocked FP16 max pool keeps the reference's tap order only for windows up to 3 wide, not {g.S}.", nameof(g));
        }

        int lanes = g.C / 8;
        Load<Int4, HalfMaxLanes8>(device, "pool.f16.max.x8")(
            checked(g.N * g.P * g.Q * lanes), x.Cast<Int4>(), y.Cast<Int4>(), g, lanes);
    }

    private static ArrayView<T> Vectors<T>(ArrayView<sbyte> view, int bytes)
        where T : unmanaged =>
        view.SubView(0, view.Length / bytes * bytes).Cast<T>();

    private static Action<Index1D, ArrayView<T>, ArrayView<T>, PoolGeometry, int> Load<T, TLanes>(Int8Device device, string name)
        where T : unmanaged
        where TLanes : struct, IMaxLanes<T> =>
        device.GetKernel(name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, PoolGeometry, int>(Kernel<T, TLanes>));

    /// <summary>
    /// Thread i = m·L + v (L = C/V groups of V channels, m = (n·P + p)·Q + q): the V maxima of output pixel m's channels
    /// V·v .. V·v + V − 1.
    /// </summary>
    internal static void Kernel<T, TLanes>(Index1D i, ArrayView<T> x, ArrayView<T> y, PoolGeometry g, int lanes)
        where T : unmanaged
        where TLanes : struct, IMaxLanes<T>
    {
        int v = i % lanes, m = i / lanes;
        int q = m % g.Q, np = m / g.Q;
        int p = np % g.P, n = np / g.P;
        var win = g.Window(p, q);
        var acc = default(TLanes);
        acc.Reset();
        int hLast = win.H1 - 1, wLast = win.W1 - 1;
        if (win.H1 > win.H0 && win.W1 > win.W0)
        {
            int image = n * g.H;
            for (int h = win.H0; h <= hLast; h += 3)
            {
                // Element offset of (row, column 0, group v) for the block's three (clamped) rows.
                int r0 = ((image + h) * g.W * lanes) + v;
                int r1 = ((image + IntrinsicMath.Min(h + 1, hLast)) * g.W * lanes) + v;
                int r2 = ((image + IntrinsicMath.Min(h + 2, hLast)) * g.W * lanes) + v;
                for (int w = win.W0; w <= wLast; w += 3)
                {
                    int s0 = w * lanes;
                    int s1 = IntrinsicMath.Min(w + 1, wLast) * lanes;
                    int s2 = IntrinsicMath.Min(w + 2, wLast) * lanes;
                    T t0 = x[r0 + s0], t1 = x[r0 + s1], t2 = x[r0 + s2];
                    T t3 = x[r1 + s0], t4 = x[r1 + s1], t5 = x[r1 + s2];
                    T t6 = x[r2 + s0], t7 = x[r2 + s1], t8 = x[r2 + s2];
                    acc.Add(t0);
                    acc.Add(t1);
                    acc.Add(t2);
                    acc.Add(t3);
                    acc.Add(t4);
                    acc.Add(t5);
                    acc.Add(t6);
                    acc.Add(t7);
                    acc.Add(t8);
                }
            }
        }

        y[i] = acc.Result;
    }
}

/// <summary>
/// Running maxima of V lanes packed in a T (struct type parameter): V int8 lanes (an empty window gives −128), or 8 FP16
/// lanes (<see cref="HalfMaxLanes8"/>).
/// </summary>
/// <typeparam name="T">sbyte (V = 1), int (V = 4), <see cref="Int4"/> (V = 16 int8 or 8 halves).</typeparam>
internal interface IMaxLanes<T>
    where T : unmanaged
{
    /// <summary>The packed maxima, lane i in the i-th element.</summary>
    T Result { get; }

    /// <summary>Every lane to its lowest value.</summary>
    void Reset();

    /// <summary>Lane i ← max(lane i, element i of <paramref name="value"/>).</summary>
    void Add(T value);
}

/// <summary>One lane.</summary>
internal struct MaxLanes1 : IMaxLanes<sbyte>
{
    private int _a;

    /// <inheritdoc />
    public readonly sbyte Result => (sbyte)_a;

    /// <inheritdoc />
    public void Reset() => _a = -128;

    /// <inheritdoc />
    public void Add(sbyte value) => _a = IntrinsicMath.Max(_a, value);
}

/// <summary>Four lanes in a 32-bit word.</summary>
internal struct MaxLanes4 : IMaxLanes<int>
{
    private int _a0, _a1, _a2, _a3;

    /// <inheritdoc />
    public readonly int Result => Saturate.PackInt32ToInt8x4(_a0, _a1, _a2, _a3);

    /// <inheritdoc />
    public void Reset()
    {
        _a0 = -128;
        _a1 = -128;
        _a2 = -128;
        _a3 = -128;
    }

    /// <inheritdoc />
    public void Add(int value)
    {
        // Byte i sign-extended: (v << (24 − 8i)) >> 24 (arithmetic shift).
        _a0 = IntrinsicMath.Max(_a0, (value << 24) >> 24);
        _a1 = IntrinsicMath.Max(_a1, (value << 16) >> 24);
        _a2 = IntrinsicMath.Max(_a2, (value << 8) >> 24);
        _a3 = IntrinsicMath.Max(_a3, value >> 24);
    }
}

/// <summary>Sixteen lanes in a 16-byte <see cref="Int4"/> (words X, Y, Z, W = bytes 0-3, 4-7, 8-11, 12-15).</summary>
internal struct MaxLanes16 : IMaxLanes<Int4>
{
    private MaxLanes4 _x, _y, _z, _w;

    /// <inheritdoc />
    public readonly Int4 Result
    {
        get
        {
            Int4 r;
            r.X = _x.Result;
            r.Y = _y.Result;
            r.Z = _z.Result;
            r.W = _w.Result;
            return r;
        }
    }

    /// <inheritdoc />
    public void Reset()
    {
        _x.Reset();
        _y.Reset();
        _z.Reset();
        _w.Reset();
    }

    /// <inheritdoc />
    public void Add(Int4 value)
    {
        _x.Add(value.X);
        _y.Add(value.Y);
        _z.Add(value.Z);
        _w.Add(value.W);
    }
}

/// <summary>
/// Eight FP16 lanes in a 16-byte <see cref="Int4"/> (half 2j in the low 16 bits of word j, half 2j + 1 in the high), each
/// as <see cref="MaxFloat"/> reduces it: widened to FP32 (exact), a = (v &gt; a ? v : a) from −∞ (a NaN never wins; the
/// first of +0 and −0 stays), rounded back to FP16 (exact: the maximum is one of the inputs).
/// </summary>
internal struct HalfMaxLanes8 : IMaxLanes<Int4>
{
    private float _a0, _a1, _a2, _a3, _a4, _a5, _a6, _a7;

    /// <inheritdoc />
    public readonly Int4 Result => new()
    {
        X = HalfConvert.Pack(_a0, _a1),
        Y = HalfConvert.Pack(_a2, _a3),
        Z = HalfConvert.Pack(_a4, _a5),
        W = HalfConvert.Pack(_a6, _a7),
    };

    /// <inheritdoc />
    public void Reset()
    {
        _a0 = _a1 = _a2 = _a3 = float.NegativeInfinity;
        _a4 = _a5 = _a6 = _a7 = float.NegativeInfinity;
    }

    /// <inheritdoc />
    public void Add(Int4 value)
    {
        _a0 = Max(_a0, HalfConvert.Low(value.X));
        _a1 = Max(_a1, HalfConvert.High(value.X));
        _a2 = Max(_a2, HalfConvert.Low(value.Y));
        _a3 = Max(_a3, HalfConvert.High(value.Y));
        _a4 = Max(_a4, HalfConvert.Low(value.Z));
        _a5 = Max(_a5, HalfConvert.High(value.Z));
        _a6 = Max(_a6, HalfConvert.Low(value.W));
        _a7 = Max(_a7, HalfConvert.High(value.W));
    }

    // The reference's max step (MaxFloat.Add).
    private static float Max(float acc, float v) => default(MaxFloat).Add(acc, v);
}
