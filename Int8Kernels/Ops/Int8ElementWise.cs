using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Int8 element-wise binary operations with per-tensor scales s_a, s_b → s_y; lo = 0 with a fused ReLU, else −127.
/// <list type="bullet">
/// <item>Sum, integer only: y = clamp((a·M_a + b·M_b + 2^(k−1)) &gt;&gt; k, lo, 127) in int64 (the shift floors: ties round up),
/// M = round_half_even(s/s_y · 2^k), k the largest in [0, 40] with max(M_a, M_b) ≤ 2^30 (<see cref="SumParameters"/>).</item>
/// <item>Product: y = clamp(round_half_even(f32(a·b) · m), lo, 127), m = (float)(s_a·s_b/s_y) (<see cref="QuantMath.Requantize"/>).</item>
/// <item>Max: y = max(R(a, m_a), R(b, m_b)) with R(q, m) = clamp(round_half_even(f32(q)·m), lo, 127), m = (float)(s/s_y)
/// (requantize is monotone, so this is the requantized maximum).</item>
/// </list>
/// b may repeat (index i mod len(b)). The formulas are <see cref="Sum"/>, <see cref="Product"/>, <see cref="Max"/>, shared with the reference.
/// </summary>
public static class Int8ElementWise
{
    /// <summary>M_a, M_b and k of the integer sum.</summary>
    public static (long Ma, long Mb, int Shift) SumParameters(float scaleA, float scaleB, float scaleY)
    {
        OpArgs.Scale(scaleA, nameof(scaleA));
        OpArgs.Scale(scaleB, nameof(scaleB));
        OpArgs.Scale(scaleY, nameof(scaleY));
        double ra = (double)scaleA / scaleY, rb = (double)scaleB / scaleY;
        double r = Math.Max(ra, rb);
        var k = 40;
        while (k > 0 && Math.Round(r * Math.Pow(2, k), MidpointRounding.ToEven) > (1L << 30))
        {
            k--;
        }

        return ((long)Math.Round(ra * Math.Pow(2, k), MidpointRounding.ToEven), (long)Math.Round(rb * Math.Pow(2, k), MidpointRounding.ToEven), k);
    }

    /// <summary>The integer sum formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Sum(int a, int b, long ma, long mb, int shift, int lo)
    {
        long v = (a * ma) + (b * mb);
        if (shift > 0)
        {
            v = (v + (1L << (shift - 1))) >> shift;
        }

        return v < lo ? lo : v > 127 ? 127 : (int)v;
    }

    /// <summary>The product formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Product(int a, int b, float m, int lo) => QuantMath.Requantize(a * b, 0, m, lo);

    /// <summary>The max formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Max(int a, int b, float ma, float mb, int lo)
    {
        int qa = QuantMath.Requantize(a, 0, ma, lo);
        int qb = QuantMath.Requantize(b, 0, mb, lo);
        return qa > qb ? qa : qb;
    }

    /// <summary>Launches y = a op b on int8 data (asynchronous).</summary>
    public static void Run(
        Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<sbyte> y, ElementWiseOperation operation,
        float scaleA, float scaleB, float scaleY, bool relu)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.SameLength(a.Length, y.Length, nameof(y));
        if (b.Length == 0 || a.Length % b.Length != 0)
        {
            throw new ArgumentException($"b has {b.Length} elements; a's {a.Length} must be a whole multiple of it.", nameof(b));
        }

        int lo = relu ? 0 : -127;
        switch (operation)
        {
            case ElementWiseOperation.Sum:
                var (ma, mb, k) = SumParameters(scaleA, scaleB, scaleY);
                Launch(device, a, b, y, new SumOp(ma, mb, k, lo));
                break;
            case ElementWiseOperation.Product:
                OpArgs.Scale(scaleA, nameof(scaleA));
                OpArgs.Scale(scaleB, nameof(scaleB));
                OpArgs.Scale(scaleY, nameof(scaleY));
                Launch(device, a, b, y, new ProductOp(ProductMultiplier(scaleA, scaleB, scaleY), lo));
                break;
            case ElementWiseOperation.Max:
                OpArgs.Scale(scaleA, nameof(scaleA));
                OpArgs.Scale(scaleB, nameof(scaleB));
                OpArgs.Scale(scaleY, nameof(scaleY));
                Launch(device, a, b, y, new MaxOp(RatioMultiplier(scaleA, scaleY), RatioMultiplier(scaleB, scaleY), lo));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, "Unknown element-wise operation.");
        }
    }

    /// <summary>m = (float)(s_a·s_b / s_y) in double.</summary>
    public static float ProductMultiplier(float scaleA, float scaleB, float scaleY) => (float)((double)scaleA * scaleB / scaleY);

    /// <summary>m = (float)(s / s_y) in double.</summary>
    public static float RatioMultiplier(float scale, float scaleY) => (float)((double)scale / scaleY);

    private static void Launch<TOp>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<sbyte> y, TOp op)
        where TOp : struct, IInt8Binary
    {
        if (a.Length == 0)
        {
            return;
        }

        if (a.Length == b.Length && a.Length % 16 == 0 && QuantArgs.Aligned16(a) && QuantArgs.Aligned16(b) && QuantArgs.Aligned16(y))
        {
            var vectors = device.GetKernel("eltwise.s8x16." + typeof(TOp).Name, acc =>
                acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Int4>, ArrayView<Int4>, ArrayView<Int4>, TOp>(VectorKernel));
            vectors(checked((int)(a.Length / 16)), a.Cast<Int4>(), b.Cast<Int4>(), y.Cast<Int4>(), op);
            return;
        }

        if (a.Length == b.Length && a.Length % 4 == 0 && QuantArgs.Aligned(a, 4) && QuantArgs.Aligned(b, 4) && QuantArgs.Aligned(y, 4))
        {
            var words = device.GetKernel("eltwise.s8x4." + typeof(TOp).Name, acc =>
                acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, TOp>(WordKernel));
            words(checked((int)(a.Length / 4)), a.Cast<int>(), b.Cast<int>(), y.Cast<int>(), op);
            return;
        }

        var kernel = device.GetKernel("eltwise.s8." + typeof(TOp).Name, acc =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<sbyte>, int, TOp>(Kernel));
        kernel((int)a.Length, a, b, y, (int)b.Length, op);
    }

    /// <summary>
    /// Thread i: the four bytes of word i (same lengths, 4-byte aligned views): y byte j = a byte j op b byte j
    /// (<see cref="PackedInt8.Lane"/>, <see cref="PackedInt8.Pack"/>); one 32-bit load of each input and one store.
    /// </summary>
    internal static void WordKernel<TOp>(Index1D i, ArrayView<int> a, ArrayView<int> b, ArrayView<int> y, TOp op)
        where TOp : struct, IInt8Binary
    {
        y[i] = Word(a[i], b[i], op);
    }

    /// <summary>
    /// Thread i: the sixteen bytes of vector i (same lengths, 16-byte aligned views), one 16-byte load of each input and
    /// one 16-byte store: four words of <see cref="Word"/> (a memory-bound pass needs the wide accesses to approach the
    /// copy rate; the 4-byte kernel reached about half of it on the H100).
    /// </summary>
    internal static void VectorKernel<TOp>(Index1D i, ArrayView<Int4> a, ArrayView<Int4> b, ArrayView<Int4> y, TOp op)
        where TOp : struct, IInt8Binary
    {
        Int4 va = a[i], vb = b[i], r;
        r.X = Word(va.X, vb.X, op);
        r.Y = Word(va.Y, vb.Y, op);
        r.Z = Word(va.Z, vb.Z, op);
        r.W = Word(va.W, vb.W, op);
        y[i] = r;
    }

    /// <summary>The four bytes of a word: byte j = a byte j op b byte j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Word<TOp>(int wa, int wb, TOp op)
        where TOp : struct, IInt8Binary =>
        PackedInt8.Pack(
            op.Apply(PackedInt8.Lane(wa, 0), PackedInt8.Lane(wb, 0)),
            op.Apply(PackedInt8.Lane(wa, 1), PackedInt8.Lane(wb, 1)),
            op.Apply(PackedInt8.Lane(wa, 2), PackedInt8.Lane(wb, 2)),
            op.Apply(PackedInt8.Lane(wa, 3), PackedInt8.Lane(wb, 3)));

    /// <summary>Thread i: y[i] = a[i] op b[i mod len(b)].</summary>
    internal static void Kernel<TOp>(Index1D i, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<sbyte> y, int bLength, TOp op)
        where TOp : struct, IInt8Binary =>
        y[i] = (sbyte)op.Apply(a[i], b[i % bLength]);

    /// <summary>An int8 binary operation with its parameters (struct type parameter).</summary>
    internal interface IInt8Binary
    {
        /// <summary>y = a op b.</summary>
        int Apply(int a, int b);
    }

    /// <summary>The integer sum.</summary>
    internal readonly record struct SumOp(long Ma, long Mb, int Shift, int Lo) : IInt8Binary
    {
        /// <inheritdoc />
        public int Apply(int a, int b) => Sum(a, b, Ma, Mb, Shift, Lo);
    }

    /// <summary>The product.</summary>
    internal readonly record struct ProductOp(float M, int Lo) : IInt8Binary
    {
        /// <inheritdoc />
        public int Apply(int a, int b) => Product(a, b, M, Lo);
    }

    /// <summary>The maximum.</summary>
    internal readonly record struct MaxOp(float Ma, float Mb, int Lo) : IInt8Binary
    {
        /// <inheritdoc />
        public int Apply(int a, int b) => Max(a, b, Ma, Mb, Lo);
    }
}
