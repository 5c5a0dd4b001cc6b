using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// The integer-only requantize of an INT8 convolution or GEMM (no float anywhere), fused into the kernel:
/// t = clamp(RDBPOT(SRDHM(sat32((acc + bias[col]) · 2^l[col]), M[col]), r[col]), lo, 127)
/// (<see cref="FixedPointMultiplier.Requantize(int, int, int, int, int, int)"/>, M a Q31 multiplier, l and r shifts),
/// then y = lut[t + 128] when <see cref="HasLut"/> is set (an activation table built with integers,
/// <see cref="IntegerOnly.IntegerActivation"/>), else y = t.
/// </summary>
/// <param name="Output">Row-major int8 output.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Channels">Per-column bias, Q31 multiplier and shifts.</param>
/// <param name="Lo">Lower clamp: 0 for a fused ReLU, −127 otherwise (−127 with a table).</param>
/// <param name="Lut">256-entry table (index t + 128); read only when <see cref="HasLut"/> is 1.</param>
/// <param name="HasLut">1 to apply <paramref name="Lut"/>, 0 not to.</param>
public readonly record struct FixedPointRequantizeEpilogue(ArrayView<sbyte> Output, int Ld, ArrayView<FixedPointChannel> Channels, int Lo, ArrayView<sbyte> Lut, int HasLut) : IGemmEpilogue
{
    /// <summary>The integer requantize (and table) of one accumulator of column <paramref name="col"/>.</summary>
    public int Finish(int acc, int col)
    {
        var p = Channels[col];
        int t = FixedPointMultiplier.Requantize(acc, p.Bias, p.Multiplier, p.LeftShift, p.RightShift, Lo);
        return HasLut != 0 ? Lut[t + 128] : t;
    }

    /// <inheritdoc />
    public void Apply(int row, int col, int acc) => Output[((long)row * Ld) + col] = (sbyte)Finish(acc, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3)
    {
        long i = ((long)row * Ld) + col;
        int q0 = Finish(acc0, col);
        int q1 = Finish(acc1, col + 1);
        int q2 = Finish(acc2, col + 2);
        int q3 = Finish(acc3, col + 3);
        Int8Store.Store4(Output, i, q0, q1, q2, q3);
    }

    /// <inheritdoc />
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => EpilogueOperand.None;
    }

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3);

    /// <summary>Default: a column's four fixed-point words do not fit <see cref="EpilogueColumns"/>; they are read per element.</summary>
    public EpilogueColumns LoadColumns4(int col) => default;

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3, operand);
}

/// <summary>
/// The integer-only form of <see cref="RequantizeSumEpilogue"/>: a convolution's Q31 requantize followed by the int8
/// residual sum it feeds, in one epilogue, with the bits of the two unfused integer-only steps:
/// t = clamp(RDBPOT(SRDHM(sat32((acc + bias[col]) · 2^l[col]), M[col]), r[col]), −127, 127)
/// (<see cref="FixedPointMultiplier.Requantize(int, int, int, int, int, int)"/>, the convolution's own output at s_t), then
/// y[row·ld + col] = clamp((t·M_t + s·M_s + 2^(k−1)) &gt;&gt; k, lo, 127) in int64 (<see cref="Int8ElementWise.Sum"/>),
/// s = Skip[row·skipLd + col].
/// </summary>
/// <param name="Output">Row-major int8 output.</param>
/// <param name="Ld">Leading dimension of the output.</param>
/// <param name="Channels">Per-column bias, Q31 multiplier and shifts to s_t.</param>
/// <param name="Skip">Row-major int8 skip operand (never the output itself).</param>
/// <param name="SkipLd">Leading dimension of the skip operand.</param>
/// <param name="Sum">M_t, M_s, k and lo of the sum.</param>
public readonly record struct FixedPointRequantizeSumEpilogue(
    ArrayView<sbyte> Output, int Ld, ArrayView<FixedPointChannel> Channels, ArrayView<sbyte> Skip, int SkipLd, ResidualSum Sum) : IGemmEpilogue
{
    /// <summary>The formula of the class remarks for one element.</summary>
    public static int Reference(int acc, FixedPointChannel p, int skip, ResidualSum sum) =>
        Int8ElementWise.Sum(FixedPointMultiplier.Requantize(acc, p.Bias, p.Multiplier, p.LeftShift, p.RightShift, -127), skip, sum.MConv, sum.MSkip, sum.Shift, sum.Lo);

    /// <inheritdoc />
    public void Apply(int row, int col, int acc) =>
        Output[((long)row * Ld) + col] = (sbyte)Reference(acc, Channels[col], Skip[((long)row * SkipLd) + col], Sum);

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3)
    {
        long i = ((long)row * Ld) + col;
        long r = ((long)row * SkipLd) + col;
        int q0 = Reference(acc0, Channels[col], Skip[r], Sum);
        int q1 = Reference(acc1, Channels[col + 1], Skip[r + 1], Sum);
        int q2 = Reference(acc2, Channels[col + 2], Skip[r + 2], Sum);
        int q3 = Reference(acc3, Channels[col + 3], Skip[r + 3], Sum);
        Int8Store.Store4(Output, i, q0, q1, q2, q3);
    }

    /// <summary>None: the skip bytes are read from global memory at each element (no shared-memory prefetch yet).</summary>
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => EpilogueOperand.None;
    }

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3);

    /// <summary>Default: a column's four fixed-point words do not fit <see cref="EpilogueColumns"/>; they are read per element.</summary>
    public EpilogueColumns LoadColumns4(int col) => default;

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3, operand);
}
