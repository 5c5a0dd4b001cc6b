using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// What a GEMM or convolution kernel does with each finished int32 accumulator of output (row, col):
/// store it, requantize it to int8, or dequantize it to float. Passed as a struct type parameter so each
/// kernel instantiation is specialised (no virtual calls, no switch). Implementations hold their device
/// views and parameters as fields and must be usable both in kernels and on the host (references).
/// </summary>
public interface IGemmEpilogue
{
    /// <summary>Finishes output element (row, col) from its accumulator.</summary>
    void Apply(int row, int col, int acc);

    /// <summary>
    /// Finishes the four consecutive outputs (row, col..col+3); the caller guarantees col % 4 == 0 and
    /// col + 3 &lt; N, so an implementation may store them with one wider access.
    /// </summary>
    void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3);

    /// <summary>
    /// The int8 matrix this epilogue reads at each output element (a residual sum's skip operand), which the tensor-core
    /// kernels copy into shared memory for their block ahead of the epilogue (<see cref="OperandTile"/>), or
    /// <see cref="EpilogueOperand.None"/>.
    /// </summary>
    EpilogueOperand Operand { get; }

    /// <summary>
    /// <see cref="Apply4(int, int, int, int, int, int)"/> with the four operand bytes (row, col..col+3) already read:
    /// byte j of <paramref name="operand"/> (lane 0 in the low byte, as <see cref="Int8Store.Store4"/> packs) is element
    /// col + j. Epilogues without an operand ignore it.
    /// </summary>
    void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand);

    /// <summary>
    /// Reads the per-column parameters of columns col..col+3 once, for a kernel thread that finishes many rows at the same
    /// four columns (the caller guarantees col % 4 == 0 and col + 3 &lt; N). Epilogues with no per-column parameters, or
    /// more than <see cref="EpilogueColumns"/> holds, return default and read theirs in
    /// <see cref="Apply4(int, int, EpilogueColumns, int, int, int, int, int)"/>.
    /// </summary>
    EpilogueColumns LoadColumns4(int col);

    /// <summary>
    /// <see cref="Apply4(int, int, int, int, int, int, int)"/> with <paramref name="columns"/> =
    /// <see cref="LoadColumns4"/>(<paramref name="col"/>) instead of reading them again: the same bits.
    /// </summary>
    void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand);
}

/// <summary>
/// The per-column parameters of four consecutive output columns col..col+3, read once by
/// <see cref="IGemmEpilogue.LoadColumns4"/>: a float and an int a column, whose meaning is the epilogue's (a requantize's
/// multiplier and bias, a dequantize's alpha, a float epilogue's bias).
/// </summary>
/// <param name="F0">Column col's float.</param>
/// <param name="F1">Column col + 1's float.</param>
/// <param name="F2">Column col + 2's float.</param>
/// <param name="F3">Column col + 3's float.</param>
/// <param name="I0">Column col's int.</param>
/// <param name="I1">Column col + 1's int.</param>
/// <param name="I2">Column col + 2's int.</param>
/// <param name="I3">Column col + 3's int.</param>
public readonly record struct EpilogueColumns(float F0, float F1, float F2, float F3, int I0, int I1, int I2, int I3)
{
    /// <summary>Floats from <paramref name="f"/>[col..col+3], ints from <paramref name="i"/>[col..col+3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EpilogueColumns Load(ArrayView<float> f, ArrayView<int> i, int col) =>
        new(f[col], f[col + 1], f[col + 2], f[col + 3], i[col], i[col + 1], i[col + 2], i[col + 3]);

    /// <summary>Floats from <paramref name="f"/>[col..col+3], ints zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EpilogueColumns Load(ArrayView<float> f, int col) =>
        new(f[col], f[col + 1], f[col + 2], f[col + 3], 0, 0, 0, 0);
}

/// <summary>
/// The int8 operand of an epilogue: element (row, col) at <paramref name="View"/>[row·ld + col], and the device address of
/// element 0 (<paramref name="Address"/>, 0 when unknown) for cp.async.
/// </summary>
/// <param name="View">The operand (an empty view: none).</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Address">Device address of View[0], or 0.</param>
public readonly record struct EpilogueOperand(ArrayView<sbyte> View, int Ld, long Address)
{
    /// <summary>No operand.</summary>
    public static EpilogueOperand None
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => default;
    }

    /// <summary>
    /// Elements (row, col..col+3) packed as <see cref="IGemmEpilogue.Apply4(int, int, int, int, int, int, int)"/> takes
    /// them (lane 0 in the low byte): one 4-byte load when <see cref="Address"/> is known and Address + row·ld + col is a
    /// multiple of 4, else four byte loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Read4(int row, int col)
    {
        long r = ((long)row * Ld) + col;
        if (Address != 0 && ((Address | r) & 3) == 0)
        {
            return View.Cast<int>()[r >> 2];
        }

        return (View[r] & 0xFF) | ((View[r + 1] & 0xFF) << 8) | ((View[r + 2] & 0xFF) << 16) | (View[r + 3] << 24);
    }
}

/// <summary>The store every int8 epilogue ends with.</summary>
internal static class Int8Store
{
    /// <summary>
    /// y[i..i+3] = (q0, q1, q2, q3), values already in [−128, 127]: one 32-bit store of the four lanes packed
    /// (<see cref="Saturate.PackInt32ToInt8x4"/>, lane 0 in the low byte) when i is a multiple of 4, else four bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store4(ArrayView<sbyte> output, long i, int q0, int q1, int q2, int q3)
    {
        if ((i & 3) == 0)
        {
            output.Cast<int>()[i >> 2] = Saturate.PackInt32ToInt8x4(q0, q1, q2, q3);
            return;
        }

        output[i] = (sbyte)q0;
        output[i + 1] = (sbyte)q1;
        output[i + 2] = (sbyte)q2;
        output[i + 3] = (sbyte)q3;
    }

    /// <summary>Lane <paramref name="j"/> (0..3) of four int8 packed in an int, sign-extended: (x &lt;&lt; (24 − 8j)) &gt;&gt; 24.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Lane(int x, int j) => (x << (24 - (8 * j))) >> 24;
}
