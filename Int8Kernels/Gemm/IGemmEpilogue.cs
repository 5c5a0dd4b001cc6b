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
