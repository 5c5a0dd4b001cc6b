using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Requantize with a residual (skip) input added before the ReLU, the fused form of ResNet's
/// <c>relu(conv(x) + skip)</c> on int8 tensors:
/// y[row·ld + col] = clamp(round_half_even(f32(acc + bias[col]) · multiplier[col] + f32(r) · s_r), lo, 127),
/// r = Residual[row·residualLd + col] (int8), s_r = <see cref="ResidualScale"/> = s_skip / s_y, lo = 0 with ReLU else -127.
/// Each product and the sum are rounded to f32 separately (on the GPU <c>mul.rn.f32</c> / <c>add.rn.f32</c>, which
/// ptxas never contracts into an FMA), so every device gives the same bits (<see cref="Reference"/>).
/// </summary>
/// <param name="Output">Row-major int8 output.</param>
/// <param name="Ld">Leading dimension of the output (elements between rows).</param>
/// <param name="Multiplier">Per-column float multiplier s_x·s_w[col]/s_y.</param>
/// <param name="Bias">Per-column int32 bias (accumulator units).</param>
/// <param name="Lo">Lower clamp: 0 for a fused ReLU, -127 otherwise.</param>
/// <param name="Residual">Row-major int8 skip input (may be the output itself only if each element is read before written: it is, per element).</param>
/// <param name="ResidualLd">Leading dimension of the skip input.</param>
/// <param name="ResidualScale">s_skip / s_y.</param>
public readonly record struct ResidualRequantizeEpilogue(
    ArrayView<sbyte> Output, int Ld, ArrayView<float> Multiplier, ArrayView<int> Bias, int Lo,
    ArrayView<sbyte> Residual, int ResidualLd, float ResidualScale) : IGemmEpilogue
{
    /// <summary>The formula of the class remarks for one element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reference(int acc, int bias, float multiplier, int residual, float residualScale, int lo)
    {
        float main = Mul((float)((long)acc + bias), multiplier);
        float v = Add(main, Mul(residual, residualScale));
        int q = Saturate.FloatToInt8Symmetric(v);
        return q < lo ? lo : q;
    }

    /// <inheritdoc />
    public void Apply(int row, int col, int acc) =>
        Output[((long)row * Ld) + col] = (sbyte)Reference(acc, Bias[col], Multiplier[col], Residual[((long)row * ResidualLd) + col], ResidualScale, Lo);

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3, 0);

    /// <summary>Multipliers (floats) and biases (ints) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => EpilogueColumns.Load(Multiplier, Bias, col);

    /// <summary>
    /// <see cref="Apply4(int, int, int, int, int, int)"/> with the columns' parameters given; the residual bytes are read
    /// here (<see cref="Operand"/> is none, so <paramref name="operand"/> is ignored).
    /// </summary>
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand)
    {
        long i = ((long)row * Ld) + col;
        long r = ((long)row * ResidualLd) + col;
        int q0 = Reference(acc0, columns.I0, columns.F0, Residual[r], ResidualScale, Lo);
        int q1 = Reference(acc1, columns.I1, columns.F1, Residual[r + 1], ResidualScale, Lo);
        int q2 = Reference(acc2, columns.I2, columns.F2, Residual[r + 2], ResidualScale, Lo);
        int q3 = Reference(acc3, columns.I3, columns.F3, Residual[r + 3], ResidualScale, Lo);
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

    // a·b rounded once to f32, never fused with a neighbouring add.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Mul(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            // The result travels as bits (a .b32 output, which PtxLocalSlotPass keeps in a register; a .f32 one would stay in local memory).
            CudaAsm.Emit("{ .reg .f32 t; mul.rn.f32 t, %1, %2; mov.b32 %0, t; }", out int bits, a, b);
            return Interop.IntAsFloat((uint)bits);
        }

        return a * b;
    }

    // a + b rounded once to f32, never fused with a neighbouring multiply.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Add(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("{ .reg .f32 t; add.rn.f32 t, %1, %2; mov.b32 %0, t; }", out int bits, a, b);
            return Interop.IntAsFloat((uint)bits);
        }

        return a + b;
    }
}
