using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// What a floating-point (FP16 or TF32 tensor-core) GEMM or convolution does with each finished FP32 accumulator of
/// output (row, col); a struct type parameter, as <see cref="IGemmEpilogue"/> for the integer kernels.
/// </summary>
public interface IFloatGemmEpilogue
{
    /// <summary>Finishes output element (row, col) from its accumulator.</summary>
    void Apply(int row, int col, float acc);

    /// <summary>Finishes (row, col..col+3); the caller guarantees col % 4 == 0 and col + 3 &lt; N.</summary>
    void Apply4(int row, int col, float acc0, float acc1, float acc2, float acc3);

    /// <summary>The per-column parameters of columns col..col+3, read once (as <see cref="IGemmEpilogue.LoadColumns4"/>).</summary>
    EpilogueColumns LoadColumns4(int col);

    /// <summary><see cref="Apply4(int, int, float, float, float, float)"/> with <paramref name="columns"/> = <see cref="LoadColumns4"/>(<paramref name="col"/>): the same bits.</summary>
    void Apply4(int row, int col, EpilogueColumns columns, float acc0, float acc1, float acc2, float acc3);
}

/// <summary>
/// Adapts a float epilogue to the integer kernels' interface: the float kernels stage their accumulators as int32 bit
/// patterns, which this turns back into floats (<c>Interop.IntAsFloat</c>, a register move) before the inner epilogue.
/// </summary>
internal readonly struct FloatBitsEpilogue<TInner> : IGemmEpilogue
    where TInner : struct, IFloatGemmEpilogue
{
    private readonly TInner _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public FloatBitsEpilogue(TInner inner) => _inner = inner;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(int row, int col, int acc) => _inner.Apply(row, col, Interop.IntAsFloat((uint)acc));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3) =>
        _inner.Apply4(row, col, Interop.IntAsFloat((uint)acc0), Interop.IntAsFloat((uint)acc1), Interop.IntAsFloat((uint)acc2), Interop.IntAsFloat((uint)acc3));

    /// <summary>None: the float epilogues read no int8 operand.</summary>
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => EpilogueOperand.None;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public EpilogueColumns LoadColumns4(int col) => _inner.LoadColumns4(col);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand) =>
        _inner.Apply4(row, col, columns, Interop.IntAsFloat((uint)acc0), Interop.IntAsFloat((uint)acc1), Interop.IntAsFloat((uint)acc2), Interop.IntAsFloat((uint)acc3));
}

/// <summary>Constants of the float epilogues.</summary>
public static class FloatEpilogue
{
    /// <summary>The lower clamp of no activation.</summary>
    public const float NoClamp = float.NegativeInfinity;

    /// <summary>The lower clamp of a fused ReLU.</summary>
    public const float Relu = 0f;

    /// <summary>The lower clamp for a flag: <see cref="Relu"/> or <see cref="NoClamp"/>.</summary>
    public static float Lo(bool relu) => relu ? Relu : NoClamp;
}

/// <summary>The bias and activation every float epilogue applies.</summary>
internal static class FloatEpilogueMath
{
    /// <summary>
    /// y = acc + bias[col] (one FP32 rounding; no bias when <paramref name="bias"/> is empty), then the lower clamp
    /// y &lt; lo → lo (lo = 0: a fused ReLU; −∞: none; NaN stays NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(float acc, ArrayView<float> bias, int col, float lo)
    {
        float y = bias.Length > 0 ? acc + bias[col] : acc;
        return y < lo ? lo : y;
    }

    /// <summary>
    /// <see cref="Finish(float, ArrayView{float}, int, float)"/> with the column's bias <paramref name="b"/> read already
    /// (<paramref name="hasBias"/>: the bias view is not empty; without one acc is kept as is, −0 included).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(float acc, bool hasBias, float b, float lo)
    {
        float y = hasBias ? acc + b : acc;
        return y < lo ? lo : y;
    }

    /// <summary>The biases of columns col..col+3 as the floats of <see cref="EpilogueColumns"/>; zeros without a bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EpilogueColumns LoadBias4(ArrayView<float> bias, int col) => bias.Length > 0 ? EpilogueColumns.Load(bias, col) : default;
}

/// <summary>
/// FP32 output: y[row·ld + col] = max(acc + bias[col], Lo) (<see cref="FloatEpilogueMath.Finish(float, ArrayView{float}, int, float)"/>).
/// </summary>
/// <param name="Output">Row-major float output.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Bias">Per-column bias, or an empty view for none.</param>
/// <param name="Lo">Lower clamp: 0 for a fused ReLU, <see cref="float.NegativeInfinity"/> for none (<see cref="FloatEpilogue.NoClamp"/>).</param>
public readonly record struct FloatOutEpilogue(ArrayView<float> Output, int Ld, ArrayView<float> Bias, float Lo) : IFloatGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, float acc) =>
        Output[((long)row * Ld) + col] = FloatEpilogueMath.Finish(acc, Bias, col, Lo);

    /// <inheritdoc />
    public void Apply4(int row, int col, float acc0, float acc1, float acc2, float acc3) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3);

    /// <summary>Biases (floats) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => FloatEpilogueMath.LoadBias4(Bias, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, float acc0, float acc1, float acc2, float acc3)
    {
        long i = ((long)row * Ld) + col;
        bool hasBias = Bias.Length > 0;
        Output[i] = FloatEpilogueMath.Finish(acc0, hasBias, columns.F0, Lo);
        Output[i + 1] = FloatEpilogueMath.Finish(acc1, hasBias, columns.F1, Lo);
        Output[i + 2] = FloatEpilogueMath.Finish(acc2, hasBias, columns.F2, Lo);
        Output[i + 3] = FloatEpilogueMath.Finish(acc3, hasBias, columns.F3, Lo);
    }
}

/// <summary>
/// FP16 values in FP32 words (the engine's FP16 tensors): y[row·ld + col] = float(half_RNE(max(acc + bias[col], Lo))),
/// the FP32 result of <see cref="FloatEpilogueMath.Finish(float, ArrayView{float}, int, float)"/> rounded once to FP16 (<see cref="HalfConvert.Round(float)"/>, as
/// the separate rounding pass <c>HalfRound</c> computes it) and stored as the float of that half.
/// </summary>
/// <param name="Output">Row-major FP32 output.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Bias">Per-column FP32 bias, or an empty view for none.</param>
/// <param name="Lo">Lower clamp: 0 for a fused ReLU, <see cref="float.NegativeInfinity"/> for none.</param>
public readonly record struct HalfRoundedOutEpilogue(ArrayView<float> Output, int Ld, ArrayView<float> Bias, float Lo) : IFloatGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, float acc) =>
        Output[((long)row * Ld) + col] = HalfConvert.Round(FloatEpilogueMath.Finish(acc, Bias, col, Lo));

    /// <inheritdoc />
    public void Apply4(int row, int col, float acc0, float acc1, float acc2, float acc3) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3);

    /// <summary>Biases (floats) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => FloatEpilogueMath.LoadBias4(Bias, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, float acc0, float acc1, float acc2, float acc3)
    {
        long i = ((long)row * Ld) + col;
        bool hasBias = Bias.Length > 0;
        Output[i] = HalfConvert.Round(FloatEpilogueMath.Finish(acc0, hasBias, columns.F0, Lo));
        Output[i + 1] = HalfConvert.Round(FloatEpilogueMath.Finish(acc1, hasBias, columns.F1, Lo));
        Output[i + 2] = HalfConvert.Round(FloatEpilogueMath.Finish(acc2, hasBias, columns.F2, Lo));
        Output[i + 3] = HalfConvert.Round(FloatEpilogueMath.Finish(acc3, hasBias, columns.F3, Lo));
    }
}

/// <summary>
/// FP16 output: y[row·ld + col] = half_RNE(max(acc + bias[col], Lo)): the FP32 result of
/// <see cref="FloatEpilogueMath.Finish(float, ArrayView{float}, int, float)"/> rounded once to FP16, to nearest with ties to even
/// (<see cref="HalfConvert.FromFloat"/>; ±∞ past 65504). Stored as half bit patterns.
/// </summary>
/// <param name="Output">Row-major half output (bit patterns), starting on a 4-byte boundary (pairs are stored as int32).</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
/// <param name="Bias">Per-column FP32 bias, or an empty view for none.</param>
/// <param name="Lo">Lower clamp: 0 for a fused ReLU, <see cref="float.NegativeInfinity"/> for none (<see cref="FloatEpilogue.NoClamp"/>).</param>
public readonly record struct HalfOutEpilogue(ArrayView<ushort> Output, int Ld, ArrayView<float> Bias, float Lo) : IFloatGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, float acc) =>
        Output[((long)row * Ld) + col] = HalfConvert.FromFloat(FloatEpilogueMath.Finish(acc, Bias, col, Lo));

    /// <inheritdoc />
    public void Apply4(int row, int col, float acc0, float acc1, float acc2, float acc3) => Apply4(row, col, LoadColumns4(col), acc0, acc1, acc2, acc3);

    /// <summary>Biases (floats) of columns col..col+3.</summary>
    public EpilogueColumns LoadColumns4(int col) => FloatEpilogueMath.LoadBias4(Bias, col);

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, float acc0, float acc1, float acc2, float acc3)
    {
        long i = ((long)row * Ld) + col;
        bool hasBias = Bias.Length > 0;
        float y0 = FloatEpilogueMath.Finish(acc0, hasBias, columns.F0, Lo), y1 = FloatEpilogueMath.Finish(acc1, hasBias, columns.F1, Lo);
        float y2 = FloatEpilogueMath.Finish(acc2, hasBias, columns.F2, Lo), y3 = FloatEpilogueMath.Finish(acc3, hasBias, columns.F3, Lo);
        if ((i & 1) == 0)
        {
            // Two 32-bit stores of packed pairs (low half first, little-endian).
            var pairs = Output.Cast<int>();
            pairs[i >> 1] = HalfConvert.Pack(y0, y1);
            pairs[(i >> 1) + 1] = HalfConvert.Pack(y2, y3);
            return;
        }

        Output[i] = HalfConvert.FromFloat(y0);
        Output[i + 1] = HalfConvert.FromFloat(y1);
        Output[i + 2] = HalfConvert.FromFloat(y2);
        Output[i + 3] = HalfConvert.FromFloat(y3);
    }
}
