using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>y[row·ld + col] = acc (int32 out).</summary>
/// <param name="Output">Row-major int32 output.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
public readonly record struct Int32Epilogue(ArrayView<int> Output, int Ld) : IGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, int acc) => Output[((long)row * Ld) + col] = acc;

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3)
    {
        long i = ((long)row * Ld) + col;
        Output[i] = acc0;
        Output[i + 1] = acc1;
        Output[i + 2] = acc2;
        Output[i + 3] = acc3;
    }

    /// <inheritdoc />
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => EpilogueOperand.None;
    }

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3);

    /// <inheritdoc />
    public EpilogueColumns LoadColumns4(int col) => default;

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3, operand);
}

/// <summary>
/// Requantize to int8 with a per-column (output channel) multiplier and int32 bias:
/// y[row·ld + col] = clamp(round_half_even(f32(acc + bias[col]) · multiplier[col]), lo, 127),
/// lo = 0 with a fused ReLU, else -127 (see <see cref="QuantMath.Requantize"/>).
/// </summary>
/// <param name="Output">Row-major int8 output.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Multiplier">Per-column float multiplier s_x·s_w[col]/s_y.</param>
/// <param name="Bias">Per-column int32 bias (already in accumulator units).</param>
/// <param name="Lo">Lower clamp: 0 for a fused ReLU, -127 otherwise.</param>
public readonly record struct RequantizeEpilogue(ArrayView<sbyte> Output, int Ld, ArrayView<float> Multiplier, ArrayView<int> Bias, int Lo) : IGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, int acc) =>
        Output[((long)row * Ld) + col] = (sbyte)QuantMath.Requantize(acc, Bias[col], Multiplier[col], Lo);

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3, 0);

    /// <inheritdoc />
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => EpilogueOperand.None;
    }

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3);

    /// <summary>Multipliers (floats) and biases (ints) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => EpilogueColumns.Load(Multiplier, Bias, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand)
    {
        long i = ((long)row * Ld) + col;
        int q0 = QuantMath.Requantize(acc0, columns.I0, columns.F0, Lo);
        int q1 = QuantMath.Requantize(acc1, columns.I1, columns.F1, Lo);
        int q2 = QuantMath.Requantize(acc2, columns.I2, columns.F2, Lo);
        int q3 = QuantMath.Requantize(acc3, columns.I3, columns.F3, Lo);
        Int8Store.Store4(Output, i, q0, q1, q2, q3);
    }
}

/// <summary>
/// Dequantize to float with cuBLAS/cuDNN scaling: y = alpha[col] · f32(acc) + beta · y_old
/// (y_old is not read when beta = 0, so an uninitialised output is fine then).
/// alpha[col] is typically s_x · s_w[col]; a per-tensor alpha repeats one value.
/// </summary>
/// <param name="Output">Row-major float output.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Alpha">Per-column alpha.</param>
/// <param name="Beta">Scale of the previous output.</param>
public readonly record struct DequantizeEpilogue(ArrayView<float> Output, int Ld, ArrayView<float> Alpha, float Beta) : IGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, int acc) => Store(((long)row * Ld) + col, Alpha[col] * acc);

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3, 0);

    /// <inheritdoc />
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => EpilogueOperand.None;
    }

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3);

    /// <summary>Alphas (floats) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => EpilogueColumns.Load(Alpha, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand)
    {
        long i = ((long)row * Ld) + col;
        Store(i, columns.F0 * acc0);
        Store(i + 1, columns.F1 * acc1);
        Store(i + 2, columns.F2 * acc2);
        Store(i + 3, columns.F3 * acc3);
    }

    // y[i] = alpha·acc (already in y) + beta · y_old, y_old read only when beta ≠ 0.
    private void Store(long i, float y) => Output[i] = Beta == 0f ? y : y + (Beta * Output[i]);
}
