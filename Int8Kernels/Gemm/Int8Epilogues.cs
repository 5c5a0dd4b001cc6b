using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Requantize then an exact int8 activation table, fused into a GEMM or convolution:
/// t = clamp(round_half_even(f32(acc + bias[col]) · multiplier[col]), −127, 127) (<see cref="QuantMath.Requantize"/>),
/// y[row·ld + col] = lut[t + 128]. The same bits as the unfused requantize followed by <see cref="Ops.Activation.Int8"/>.
/// </summary>
/// <param name="Output">Row-major int8 output.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Multiplier">Per-column float multiplier s_x·s_w[col]/s_t.</param>
/// <param name="Bias">Per-column int32 bias in accumulator units.</param>
/// <param name="Lut">256-entry table (index t + 128).</param>
public readonly record struct RequantizeLutEpilogue(ArrayView<sbyte> Output, int Ld, ArrayView<float> Multiplier, ArrayView<int> Bias, ArrayView<sbyte> Lut) : IGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, int acc) =>
        Output[((long)row * Ld) + col] = Lut[QuantMath.Requantize(acc, Bias[col], Multiplier[col], -127) + 128];

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3, 0);

    /// <summary>Multipliers (floats) and biases (ints) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => EpilogueColumns.Load(Multiplier, Bias, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand)
    {
        long i = ((long)row * Ld) + col;
        int q0 = Lut[QuantMath.Requantize(acc0, columns.I0, columns.F0, -127) + 128];
        int q1 = Lut[QuantMath.Requantize(acc1, columns.I1, columns.F1, -127) + 128];
        int q2 = Lut[QuantMath.Requantize(acc2, columns.I2, columns.F2, -127) + 128];
        int q3 = Lut[QuantMath.Requantize(acc3, columns.I3, columns.F3, -127) + 128];
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
