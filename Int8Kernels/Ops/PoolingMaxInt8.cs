using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Int8 max pooling over NHWC [N, H, W, C] → [N, P, Q, C]: y[n, p, q, c] = max over the window's valid (h, w) of
/// x[n, h, w, c] (exact, so any order; the output keeps the input scale). One thread an output pixel's group of V
/// channels, V = 16 (one 16-byte <see cref="Int4"/> a tap) when C is a multiple of 16 and the views start on 16 bytes,
/// else 4 (one word) when C is a multiple of 4 and the views start on 4 bytes, else 1; thread i writes element i of
/// y viewed as [N·P·Q, C/V], so a warp's loads and stores run along the channels (coalesced).
/// <para>
/// The window is walked in 3×3 blocks of taps whose rows and columns are clamped to the last valid one
/// (h, min(h+1, h_last), min(h+2, h_last)), so a block's nine loads are independent (all in flight at once) and always
/// inside the input; a repeated tap cannot change a maximum. The ResNet stem pool (3×3, stride 2, pad 1) is one block.
/// Index math is 32-bit (the problem is validated to hold under 2^31 elements).
/// </para>
/// </summary>
internal static class PoolingMaxInt8
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

    private static ArrayView<T> Vectors<T>(ArrayView<sbyte> view, int bytes)
        where T : unmanaged =>
        view.SubView(0, view.Length / bytes * bytes).Cast<T>();

    private static Action<Index1D, ArrayView<T>, ArrayView<T>, PoolGeometry, int> Load<T, TLanes>(Int8Device device, string name)
        where T : unmanaged
        where TLanes : struct, IInt8MaxLanes<T> =>
        device.GetKernel(name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, PoolGeometry, int>(Kernel<T, TLanes>));

    /// <summary>
    /// Thread i = m·L + v (L = C/V groups of V channels, m = (n·P + p)·Q + q): the V maxima of output pixel m's channels
    /// V·v .. V·v + V − 1.
    /// </summary>
    internal static void Kernel<T, TLanes>(Index1D i, ArrayView<T> x, ArrayView<T> y, PoolGeometry g, int lanes)
        where T : unmanaged
        where TLanes : struct, IInt8MaxLanes<T>
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

/// <summary>Running maxima of V int8 lanes packed in a T (struct type parameter); an empty window gives −128.</summary>
/// <typeparam name="T">sbyte (V = 1), int (V = 4), <see cref="Int4"/> (V = 16).</typeparam>
internal interface IInt8MaxLanes<T>
    where T : unmanaged
{
    /// <summary>The packed maxima, lane i in byte i.</summary>
    T Result { get; }

    /// <summary>Every lane to −128.</summary>
    void Reset();

    /// <summary>Lane i ← max(lane i, byte i of <paramref name="value"/> as a signed byte).</summary>
    void Add(T value);
}

/// <summary>One lane.</summary>
internal struct MaxLanes1 : IInt8MaxLanes<sbyte>
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
internal struct MaxLanes4 : IInt8MaxLanes<int>
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
internal struct MaxLanes16 : IInt8MaxLanes<Int4>
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
