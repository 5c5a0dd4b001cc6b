using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>How a pooling window reduces: max, average counting padding, average of the valid positions only.</summary>
public enum PoolingMode
{
    /// <summary>Maximum over the valid positions (padding never wins).</summary>
    Max,

    /// <summary>Sum over valid positions / the window size clipped to the padded input (count_include_pad).</summary>
    AverageCountPadding,

    /// <summary>Sum over valid positions / their number.</summary>
    AverageExcludePadding,
}

/// <summary>
/// Pooling over NHWC [N, H, W, C] → [N, P, Q, C], one thread per output, window r-major then s.
/// Float: max, or the float sum divided by the divisor (<see cref="PoolingMode"/>).
/// Int8: max of the int8 values (the output keeps the input scale); average: the int32 sum requantized,
/// y = clamp(round_half_even(f32(sum) · m[d]), −127, 127) with d the divisor and m[d] = (float)(s_in / (s_out · d))
/// from <see cref="AverageMultipliers"/> (a host table, so no division on the device).
/// </summary>
public static class Pooling
{
    /// <summary>Float pooling (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, PoolProblem problem, PoolingMode mode)
    {
        Check(device, x.Length, y.Length, problem);
        var launch = new FloatLaunch(device, x, y, problem.Geometry);
        ForMode(mode, ref launch);
    }

    /// <summary>
    /// FP16 pooling over 2-byte halves (asynchronous): the float pooling of the widened values (FP32 sum or max), one
    /// rounding as it stores, y = half_RNE(pool(float(x))). With C a multiple of 8 and both views 16-byte aligned a
    /// thread takes 8 channels of an output pixel (16-byte loads and stores): a max tap by tap
    /// (<see cref="Half8Kernel{TOp}"/>), an average a row's taps four loads at a time (<see cref="Half8RowsKernel{TOp}"/>);
    /// else one channel a thread. Each channel's arithmetic and tap order are the same every way, so are the bits.
    /// </summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, PoolProblem problem, PoolingMode mode)
    {
        Check(device, x.Length, y.Length, problem);
        if (problem.C % 8 == 0 && QuantArgs.Aligned16(x) && QuantArgs.Aligned16(y))
        {
            var vector = new Half8Launch(device, x, y, problem.Geometry, rows: mode != PoolingMode.Max);
            ForMode(mode, ref vector);
            return;
        }

        var launch = new HalfLaunch(device, x, y, problem.Geometry);
        ForMode(mode, ref launch);
    }

    // Hands the float window reduction of the mode to the visitor.
    private static void ForMode<TVisitor>(PoolingMode mode, ref TVisitor visitor)
        where TVisitor : struct, IPoolVisitor
    {
        switch (mode)
        {
            case PoolingMode.Max:
                visitor.Visit<MaxFloat>();
                break;
            case PoolingMode.AverageCountPadding:
                visitor.Visit<AverageFloat<CountPadded>>();
                break;
            default:
                visitor.Visit<AverageFloat<CountValid>>();
                break;
        }
    }

    /// <summary>
    /// Int8 max pooling (asynchronous); the output has the input's scale. One thread an output pixel's 16 channels when
    /// C is a multiple of 16 (16-byte accesses), else 4 or 1 (see <see cref="PoolingMaxInt8"/>).
    /// </summary>
    public static void Int8Max(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, PoolProblem problem)
    {
        Check(device, x.Length, y.Length, problem);
        PoolingMaxInt8.Run(device, x, y, problem.Geometry);
    }

    /// <summary>
    /// Int8 average pooling (asynchronous); <paramref name="multipliers"/> is the table of <see cref="AverageMultipliers"/>
    /// (R·S + 1 entries).
    /// </summary>
    public static void Int8Average(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<float> multipliers, PoolProblem problem, bool countPadding)
    {
        Check(device, x.Length, y.Length, problem);
        OpArgs.AtLeast(multipliers.Length, (problem.R * problem.S) + 1, nameof(multipliers));
        var g = problem.Geometry;
        Index1D index = checked(g.C * g.N * g.P * g.Q);
        if (countPadding)
        {
            LoadInt8Average<CountPadded>(device)(index, x, y, multipliers, g);
        }
        else
        {
            LoadInt8Average<CountValid>(device)(index, x, y, multipliers, g);
        }
    }

    /// <summary>
    /// Int8 average pooling with integers only (asynchronous): y = <see cref="IntegerRescale.Apply"/>(sum, table[d], −127),
    /// the division by the divisor d folded into the Q31 multiplier of s_in/(s_out·d) (<see cref="AverageFixedPoint"/>).
    /// </summary>
    public static void Int8AverageFixedPoint(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<FixedPointChannel> table, PoolProblem problem, bool countPadding)
    {
        Check(device, x.Length, y.Length, problem);
        OpArgs.AtLeast(table.Length, (problem.R * problem.S) + 1, nameof(table));
        var g = problem.Geometry;
        Index1D index = checked(g.C * g.N * g.P * g.Q);
        if (countPadding)
        {
            LoadInt8AverageFixedPoint<CountPadded>(device)(index, x, y, table, g);
        }
        else
        {
            LoadInt8AverageFixedPoint<CountValid>(device)(index, x, y, table, g);
        }
    }

    /// <summary>
    /// The integer-only divisor table: entry d = (M, l, r) of s_in/(s_out·d) in double (<see cref="IntegerRescale.Create"/>)
    /// for d = 1..R·S; entry 0 is zero (never used).
    /// </summary>
    public static FixedPointChannel[] AverageFixedPoint(float inputScale, float outputScale, int windowSize)
    {
        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowSize);
        var table = new FixedPointChannel[windowSize + 1];
        for (var d = 1; d <= windowSize; d++)
        {
            table[d] = IntegerRescale.Create((double)inputScale / ((double)outputScale * d));
        }

        return table;
    }

    /// <summary>m[d] = (float)((double)s_in / ((double)s_out · d)) for d = 1..R·S; m[0] = 0 (never used).</summary>
    public static float[] AverageMultipliers(float inputScale, float outputScale, int windowSize)
    {
        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowSize);
        var m = new float[windowSize + 1];
        for (var d = 1; d <= windowSize; d++)
        {
            m[d] = (float)((double)inputScale / ((double)outputScale * d));
        }

        return m;
    }

    private static void Check(Int8Device device, long xLength, long yLength, PoolProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        OpArgs.AtLeast(xLength, (long)problem.N * problem.H * problem.W * problem.C, "x");
        OpArgs.AtLeast(yLength, (long)problem.N * problem.P * problem.Q * problem.C, "y");
    }

    /// <summary>Receives the struct of a float window reduction.</summary>
    private interface IPoolVisitor
    {
        void Visit<TOp>()
            where TOp : struct, IFloatPool;
    }

    private readonly struct FloatLaunch(Int8Device device, ArrayView<float> x, ArrayView<float> y, PoolGeometry g) : IPoolVisitor
    {
        public void Visit<TOp>()
            where TOp : struct, IFloatPool =>
            device.GetKernel("pool.f32." + typeof(TOp).FullName, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolGeometry>(FloatKernel<TOp>))(checked(g.C * g.N * g.P * g.Q), x, y, g);
    }

    private readonly struct HalfLaunch(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, PoolGeometry g) : IPoolVisitor
    {
        public void Visit<TOp>()
            where TOp : struct, IFloatPool =>
            device.GetKernel("pool.f16." + typeof(TOp).FullName, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, PoolGeometry>(HalfKernel<TOp>))(checked(g.C * g.N * g.P * g.Q), x, y, g);
    }

    // rows: the four-taps-a-row kernel (averages; measured on an H100, session 20: the ResNet-18 FP16 global average pool
    // b256 0.061 → 0.048 ms), else tap by tap (max: a 3×3 block of loads measured slower there, 0.600 → 0.674 ms at
    // the stem pool, where the software half → float conversions bound the kernel, not the loads).
    private readonly struct Half8Launch(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, PoolGeometry g, bool rows) : IPoolVisitor
    {
        public void Visit<TOp>()
            where TOp : struct, IFloatPool
        {
            Action<Index1D, ArrayView<Int4>, ArrayView<Int4>, PoolGeometry> kernel = rows ? Half8RowsKernel<TOp> : Half8Kernel<TOp>;
            device.GetKernel((rows ? "pool.f16x8.rows." : "pool.f16x8.") + typeof(TOp).FullName, a =>
                a.LoadAutoGroupedStreamKernel(kernel))(checked(g.C / 8 * g.N * g.P * g.Q), x.Cast<Int4>(), y.Cast<Int4>(), g);
        }
    }

    private static Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<float>, PoolGeometry> LoadInt8Average<TCount>(Int8Device device)
        where TCount : struct, IPoolDivisor =>
        device.GetKernel("pool.s8.avg." + typeof(TCount).Name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<float>, PoolGeometry>(Int8AverageKernel<TCount>));

    /// <summary>Thread (c, m), m = (n·P + p)·Q + q.</summary>
    internal static void FloatKernel<TOp>(Index1D index, ArrayView<float> x, ArrayView<float> y, PoolGeometry g)
        where TOp : struct, IFloatPool
    {
        int c = index % g.C, m = index / g.C;
        int q = m % g.Q;
        int p = (m / g.Q) % g.P;
        int n = m / (g.Q * g.P);
        var win = g.Window(p, q);
        var op = default(TOp);
        float acc = op.Start;
        for (int h = win.H0; h < win.H1; h++)
        {
            for (int w = win.W0; w < win.W1; w++)
            {
                acc = op.Add(acc, x[((((long)n * g.H) + h) * g.W + w) * g.C + c]);
            }
        }

        y[((long)m * g.C) + c] = op.Finish(acc, win);
    }

    /// <summary>Thread (c, m) of <see cref="FloatKernel{TOp}"/> on halves: widened as read, rounded as stored.</summary>
    internal static void HalfKernel<TOp>(Index1D index, ArrayView<ushort> x, ArrayView<ushort> y, PoolGeometry g)
        where TOp : struct, IFloatPool
    {
        int c = index % g.C, m = index / g.C;
        int q = m % g.Q;
        int p = (m / g.Q) % g.P;
        int n = m / (g.Q * g.P);
        var win = g.Window(p, q);
        var op = default(TOp);
        float acc = op.Start;
        for (int h = win.H0; h < win.H1; h++)
        {
            for (int w = win.W0; w < win.W1; w++)
            {
                acc = op.Add(acc, HalfConvert.ToFloat(x[((((long)n * g.H) + h) * g.W + w) * g.C + c]));
            }
        }

        y[((long)m * g.C) + c] = HalfConvert.FromFloat(op.Finish(acc, win));
    }

    /// <summary>
    /// Thread (c8, m): channels 8·c8 … 8·c8 + 7 of output pixel m, each as <see cref="HalfKernel{TOp}"/> computes it
    /// (the window in the same order, FP32 per channel), read and written as 16-byte words of 8 halves.
    /// </summary>
    internal static void Half8Kernel<TOp>(Index1D index, ArrayView<Int4> x, ArrayView<Int4> y, PoolGeometry g)
        where TOp : struct, IFloatPool
    {
        var win = Window8(index, g, out int words, out int c8, out int m, out int n);
        var op = default(TOp);
        float a0 = op.Start, a1 = op.Start, a2 = op.Start, a3 = op.Start, a4 = op.Start, a5 = op.Start, a6 = op.Start, a7 = op.Start;
        for (int h = win.H0; h < win.H1; h++)
        {
            for (int w = win.W0; w < win.W1; w++)
            {
                Add8(op, x[((((long)n * g.H) + h) * g.W + w) * words + c8], ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
            }
        }

        y[((long)m * words) + c8] = Finish8(op, win, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>
    /// <see cref="Half8Kernel{TOp}"/> with a row's taps four 16-byte loads at a time (the loads in flight together): the
    /// same values folded in the same order.
    /// </summary>
    internal static void Half8RowsKernel<TOp>(Index1D index, ArrayView<Int4> x, ArrayView<Int4> y, PoolGeometry g)
        where TOp : struct, IFloatPool
    {
        var win = Window8(index, g, out int words, out int c8, out int m, out int n);
        var op = default(TOp);
        float a0 = op.Start, a1 = op.Start, a2 = op.Start, a3 = op.Start, a4 = op.Start, a5 = op.Start, a6 = op.Start, a7 = op.Start;
        int wLast = win.W1 - 1;
        for (int h = win.H0; h < win.H1; h++)
        {
            long rowAt = (((long)n * g.H) + h) * g.W;
            for (int w = win.W0; w <= wLast; w += 4)
            {
                // Four taps of the row loaded at once (columns clamped to the last valid one, so always inside), folded
                // in in the reference's order, each repeat skipped.
                var t0 = x[((rowAt + w) * words) + c8];
                var t1 = x[((rowAt + IntrinsicMath.Min(w + 1, wLast)) * words) + c8];
                var t2 = x[((rowAt + IntrinsicMath.Min(w + 2, wLast)) * words) + c8];
                var t3 = x[((rowAt + IntrinsicMath.Min(w + 3, wLast)) * words) + c8];
                Add8(op, t0, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
                if (w + 1 <= wLast)
                {
                    Add8(op, t1, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
                }

                if (w + 2 <= wLast)
                {
                    Add8(op, t2, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
                }

                if (w + 3 <= wLast)
                {
                    Add8(op, t3, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
                }
            }
        }

        y[((long)m * words) + c8] = Finish8(op, win, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    // Thread (c8, m) of the 8-halves kernels: words = C/8 a pixel, m = (n·P + p)·Q + q, and its window.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PoolWindow Window8(Index1D index, PoolGeometry g, out int words, out int c8, out int m, out int n)
    {
        words = g.C >> 3;
        c8 = index % words;
        m = index / words;
        int q = m % g.Q;
        int p = (m / g.Q) % g.P;
        n = m / (g.Q * g.P);
        return g.Window(p, q);
    }

    // The 8 finished values rounded to halves, packed as 16 bytes (half 2j low in word j).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Int4 Finish8<TOp>(TOp op, PoolWindow win, float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7)
        where TOp : struct, IFloatPool => new()
        {
            X = HalfConvert.Pack(op.Finish(a0, win), op.Finish(a1, win)),
            Y = HalfConvert.Pack(op.Finish(a2, win), op.Finish(a3, win)),
            Z = HalfConvert.Pack(op.Finish(a4, win), op.Finish(a5, win)),
            W = HalfConvert.Pack(op.Finish(a6, win), op.Finish(a7, win)),
        };

    // Folds the 8 halves of one tap into the 8 running values.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add8<TOp>(TOp op, Int4 v, ref float a0, ref float a1, ref float a2, ref float a3, ref float a4, ref float a5, ref float a6, ref float a7)
        where TOp : struct, IFloatPool
    {
        a0 = op.Add(a0, HalfConvert.Low(v.X));
        a1 = op.Add(a1, HalfConvert.High(v.X));
        a2 = op.Add(a2, HalfConvert.Low(v.Y));
        a3 = op.Add(a3, HalfConvert.High(v.Y));
        a4 = op.Add(a4, HalfConvert.Low(v.Z));
        a5 = op.Add(a5, HalfConvert.High(v.Z));
        a6 = op.Add(a6, HalfConvert.Low(v.W));
        a7 = op.Add(a7, HalfConvert.High(v.W));
    }

    private static Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<FixedPointChannel>, PoolGeometry> LoadInt8AverageFixedPoint<TCount>(Int8Device device)
        where TCount : struct, IPoolDivisor =>
        device.GetKernel("pool.s8.avg.q31." + typeof(TCount).Name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<FixedPointChannel>, PoolGeometry>(Int8AverageFixedPointKernel<TCount>));

    /// <summary>Thread (c, m): the int32 window sum rescaled with integers by table[divisor].</summary>
    internal static void Int8AverageFixedPointKernel<TCount>(Index1D index, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<FixedPointChannel> table, PoolGeometry g)
        where TCount : struct, IPoolDivisor
    {
        int c = index % g.C, m = index / g.C;
        int q = m % g.Q;
        int p = (m / g.Q) % g.P;
        int n = m / (g.Q * g.P);
        var win = g.Window(p, q);
        int sum = 0;
        for (int h = win.H0; h < win.H1; h++)
        {
            for (int w = win.W0; w < win.W1; w++)
            {
                sum += x[((((long)n * g.H) + h) * g.W + w) * g.C + c];
            }
        }

        y[((long)m * g.C) + c] = (sbyte)IntegerRescale.Apply(sum, table[default(TCount).Divisor(win)], -127);
    }

    /// <summary>Thread (c, m): the int32 window sum requantized by m[divisor].</summary>
    internal static void Int8AverageKernel<TCount>(Index1D index, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<float> multipliers, PoolGeometry g)
        where TCount : struct, IPoolDivisor
    {
        int c = index % g.C, m = index / g.C;
        int q = m % g.Q;
        int p = (m / g.Q) % g.P;
        int n = m / (g.Q * g.P);
        var win = g.Window(p, q);
        int sum = 0;
        for (int h = win.H0; h < win.H1; h++)
        {
            for (int w = win.W0; w < win.W1; w++)
            {
                sum += x[((((long)n * g.H) + h) * g.W + w) * g.C + c];
            }
        }

        y[((long)m * g.C) + c] = (sbyte)QuantMath.Requantize(sum, 0, multipliers[default(TCount).Divisor(win)], -127);
    }
}

/// <summary>A float window reduction (struct type parameter).</summary>
internal interface IFloatPool
{
    /// <summary>The starting accumulator.</summary>
    float Start { get; }

    /// <summary>Folds one input value in.</summary>
    float Add(float acc, float v);

    /// <summary>The output of a finished window.</summary>
    float Finish(float acc, PoolWindow window);
}

/// <summary>Which divisor an average uses (struct type parameter).</summary>
internal interface IPoolDivisor
{
    /// <summary>The divisor of a window (≥ 1).</summary>
    int Divisor(PoolWindow window);
}

/// <summary>Divisor: the window clipped to the padded input.</summary>
internal readonly struct CountPadded : IPoolDivisor
{
    /// <inheritdoc />
    public int Divisor(PoolWindow window) => window.Padded < 1 ? 1 : window.Padded;
}

/// <summary>Divisor: the valid positions.</summary>
internal readonly struct CountValid : IPoolDivisor
{
    /// <inheritdoc />
    public int Divisor(PoolWindow window) => window.Valid < 1 ? 1 : window.Valid;
}

/// <summary>max over the window (starts at −∞).</summary>
internal readonly struct MaxFloat : IFloatPool
{
    /// <inheritdoc />
    public float Start => float.NegativeInfinity;

    /// <inheritdoc />
    public float Add(float acc, float v) => v > acc ? v : acc;

    /// <inheritdoc />
    public float Finish(float acc, PoolWindow window) => acc;
}

/// <summary>sum / divisor.</summary>
internal readonly struct AverageFloat<TCount> : IFloatPool
    where TCount : struct, IPoolDivisor
{
    /// <inheritdoc />
    public float Start => 0f;

    /// <inheritdoc />
    public float Add(float acc, float v) => acc + v;

    /// <inheritdoc />
    public float Finish(float acc, PoolWindow window) => acc / default(TCount).Divisor(window);
}
