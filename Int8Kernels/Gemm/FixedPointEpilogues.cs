using System.Runtime.CompilerServices;
using ILGPU;
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
}
