using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// A convolution's requantize followed by the int8 residual sum it feeds, in one epilogue (ResNet's
/// <c>relu(conv(x) + skip)</c>), with the same bits as the two unfused steps:
/// t = clamp(round_half_even(f32(acc + bias[col]) · multiplier[col]), −127, 127) (<see cref="QuantMath.Requantize"/>, the
/// convolution's own output at its scale s_t), then
/// y[row·ld + col] = clamp((t·M_t + r·M_r + 2^(k−1)) &gt;&gt; k, lo, 127) in int64 (<see cref="Int8ElementWise.Sum"/>),
/// r = Skip[row·skipLd + col], M_t, M_r and k from <see cref="Int8ElementWise.SumParameters"/> for s_t, s_r → s_y,
/// lo = 0 with a ReLU after the sum, else −127.
/// </summary>
/// <param name="Output">Row-major int8 output.</param>
/// <param name="Ld">Leading dimension of the output (elements between rows).</param>
/// <param name="Multiplier">Per-column float multiplier s_x·s_w[col]/s_t.</param>
/// <param name="Bias">Per-column int32 bias (accumulator units).</param>
/// <param name="Skip">Row-major int8 skip operand r (never the output itself).</param>
/// <param name="SkipLd">Leading dimension of the skip operand.</param>
/// <param name="Sum">M_t, M_r, k and lo of the sum.</param>
public readonly record struct RequantizeSumEpilogue(
    ArrayView<sbyte> Output, int Ld, ArrayView<float> Multiplier, ArrayView<int> Bias, ArrayView<sbyte> Skip, int SkipLd, ResidualSum Sum) : IGemmEpilogue
{
    /// <summary>The formula of the class remarks for one element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reference(int acc, int bias, float multiplier, int skip, ResidualSum sum) =>
        Int8ElementWise.Sum(QuantMath.Requantize(acc, bias, multiplier, -127), skip, sum.MConv, sum.MSkip, sum.Shift, sum.Lo);

    /// <inheritdoc />
    public void Apply(int row, int col, int acc) =>
        Output[((long)row * Ld) + col] = (sbyte)Reference(acc, Bias[col], Multiplier[col], Skip[((long)row * SkipLd) + col], Sum);

    /// <summary>
    /// The device address of <see cref="Skip"/>[0] (0 when unknown): with it a multiple of 16 and <see cref="SkipLd"/>
    /// too, the tensor-core kernels copy the block's skip tile into shared memory ahead of the epilogue
    /// (<see cref="OperandTile"/>), and with it a multiple of 4 the other kernels read four skip bytes as one int.
    /// </summary>
    public long SkipAddress { get; init; }

    /// <inheritdoc />
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Skip, SkipLd, SkipAddress);
    }

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3) => Apply4(row, col, acc0, acc1, acc2, acc3, Operand.Read4(row, col));

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3, operand);

    /// <summary>Multipliers (floats) and biases (ints) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => EpilogueColumns.Load(Multiplier, Bias, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand)
    {
        long i = ((long)row * Ld) + col;
        int q0 = Reference(acc0, columns.I0, columns.F0, Int8Store.Lane(operand, 0), Sum);
        int q1 = Reference(acc1, columns.I1, columns.F1, Int8Store.Lane(operand, 1), Sum);
        int q2 = Reference(acc2, columns.I2, columns.F2, Int8Store.Lane(operand, 2), Sum);
        int q3 = Reference(acc3, columns.I3, columns.F3, Int8Store.Lane(operand, 3), Sum);
        Int8Store.Store4(Output, i, q0, q1, q2, q3);
    }
}

/// <summary>
/// The integer residual sum y = clamp((t·M_t + r·M_r + 2^(k−1)) &gt;&gt; k, lo, 127) of a convolution output t and a skip
/// operand r (<see cref="Int8ElementWise.Sum"/>).
/// </summary>
/// <param name="MConv">M_t, the multiplier of the convolution's output.</param>
/// <param name="MSkip">M_r, the multiplier of the skip operand.</param>
/// <param name="Shift">k.</param>
/// <param name="Lo">0 with a ReLU after the sum, else −127.</param>
public readonly record struct ResidualSum(long MConv, long MSkip, int Shift, int Lo)
{
    /// <summary>
    /// The sum of the int8 element-wise step it replaces, whose operands have scales s_t (the convolution's output) and s_r
    /// → s_y. The sum is symmetric (a·M_a + b·M_b in exact int64, k from the larger ratio), so the operand order does not
    /// matter.
    /// </summary>
    public static ResidualSum Create(float scaleConv, float scaleSkip, float scaleY, bool relu)
    {
        var (mt, mr, k) = Int8ElementWise.SumParameters(scaleConv, scaleSkip, scaleY);
        return new(mt, mr, k, relu ? 0 : -127);
    }
}
