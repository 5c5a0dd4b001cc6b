using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// The INT8 epilogue of the CPU convolutions, QuantMath's formula: y[m][k] = clamp(round_half_even(f32(acc + bias[k]) ·
/// m[k]), lo, 127), then lut[y + 128] when a table is given; y row-major with <see cref="Stride"/> columns. Vectorised 8
/// lanes at a time (int32 sum, one rounding to float, one multiply, round to nearest even, clamp); a lane group whose
/// int32 sum would overflow, or any non-finite multiplier, takes the scalar formula (the sum in int64).
/// Integer-only engines give per-channel Q31 multipliers and shifts instead (<see cref="FixedPointChannel"/>):
/// y = clamp(<see cref="FixedPointMultiplier.Requantize(int, int, int, int, int, int)"/>, lo, 127), then the table,
/// element by element, no float.
/// </summary>
internal readonly unsafe struct CpuRequantizeSink : ICpuInt8Sink
{
    private readonly nint _y;
    private readonly float[] _multiplier;
    private readonly int[] _bias;
    private readonly sbyte[]? _lut;
    private readonly FixedPointChannel[]? _fixed;
    private readonly bool _vector;
    private readonly bool _wide;

    /// <summary>Writes int8 rows of <paramref name="stride"/> columns at <paramref name="y"/>.</summary>
    public CpuRequantizeSink(sbyte* y, int stride, float[] multiplier, int[] bias, int lo, sbyte[]? lut)
        : this(y, stride, multiplier, bias, lo, lut, wide: true)
    {
    }

    /// <summary>As above; <paramref name="wide"/> false keeps to the 8-lane code even where AVX-512 runs (for tests).</summary>
    internal CpuRequantizeSink(sbyte* y, int stride, float[] multiplier, int[] bias, int lo, sbyte[]? lut, bool wide)
        : this(y, stride, multiplier, bias, lo, lut, wide, AllFinite(multiplier))
    {
    }

    /// <summary>
    /// As above with <paramref name="finite"/> = <see cref="AllFinite"/>(<paramref name="multiplier"/>) computed once by the
    /// caller (a step builds a sink every run: no pass over the multipliers per run).
    /// </summary>
    internal CpuRequantizeSink(sbyte* y, int stride, float[] multiplier, int[] bias, int lo, sbyte[]? lut, bool wide, bool finite)
    {
        ArgumentNullException.ThrowIfNull(multiplier);
        ArgumentNullException.ThrowIfNull(bias);
        if (multiplier.Length < stride || bias.Length < stride || (lut is not null && lut.Length != 256))
        {
            throw new ArgumentException($"Need {stride} multipliers and biases (got {multiplier.Length}, {bias.Length}) and a 256-entry table.", nameof(multiplier));
        }

        _y = (nint)y;
        Stride = stride;
        _multiplier = multiplier;
        _bias = bias;
        Lo = lo;
        _lut = lut;
        _vector = finite;
        _wide = wide && _vector && lut is null && Avx512F.IsSupported;
    }

    /// <summary>True when every multiplier is finite (the vector code applies to every column).</summary>
    internal static bool AllFinite(float[] multiplier)
    {
        ArgumentNullException.ThrowIfNull(multiplier);
        foreach (var m in multiplier)
        {
            if (!float.IsFinite(m))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes int8 rows of <paramref name="stride"/> columns at <paramref name="y"/> with the integer-only requantize.</summary>
    public CpuRequantizeSink(sbyte* y, int stride, FixedPointChannel[] channels, int lo, sbyte[]? lut)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Length < stride || (lut is not null && lut.Length != 256))
        {
            throw new ArgumentException($"Need {stride} channels (got {channels.Length}) and a 256-entry table.", nameof(channels));
        }

        _y = (nint)y;
        Stride = stride;
        _multiplier = [];
        _bias = [];
        _fixed = channels;
        Lo = lo;
        _lut = lut;
    }

    /// <summary>True when the float 16-lane epilogue applies to every column (finite multipliers, no table, AVX-512): what <see cref="CpuDirectFused"/> computes in registers.</summary>
    internal bool Fusable => _wide;

    /// <summary>The output rows.</summary>
    internal sbyte* Pointer => (sbyte*)_y;

    /// <summary>The per-channel multipliers.</summary>
    internal float[] MultiplierArray => _multiplier;

    /// <summary>The per-channel biases.</summary>
    internal int[] BiasArray => _bias;

    /// <summary>Columns of a row of y.</summary>
    public int Stride { get; }

    /// <summary>Lower clamp.</summary>
    public int Lo { get; }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Store(int* acc, int ldc, int m0, int rows, int k0, int count)
    {
        if (_fixed is { } channels)
        {
            StoreFixed(channels, acc, ldc, m0, rows, k0, count);
            return;
        }

        var lo = Vector256.Create((float)Lo);
        var hi = Vector256.Create(127f);
        fixed (float* mult = _multiplier)
        fixed (int* bias = _bias)
        {
            // A layer of 16 channels: one 16-lane step a row, bias and multipliers loaded once (up to a row that overflows).
            int first = _wide && count == 16 ? Rows16(acc, ldc, (sbyte*)_y + ((long)m0 * Stride) + k0, rows, bias + k0, mult + k0) : 0;
            for (var r = first; r < rows; r++)
            {
                int* a = acc + ((long)r * ldc);
                sbyte* y = (sbyte*)_y + ((long)(m0 + r) * Stride) + k0;
                int j = 0;
                if (_wide)
                {
                    j = Store16(a, y, bias + k0, mult + k0, count);
                }

                if (_vector)
                {
                    for (; j + 8 <= count; j += 8)
                    {
                        var v = Vector256.Load(a + j);
                        var b = Vector256.Load(bias + k0 + j);
                        var sum = v + b;
                        if ((((v ^ sum) & (b ^ sum)).ExtractMostSignificantBits()) != 0)
                        {
                            Scalar(a, y, k0, j, j + 8);
                            continue;
                        }

                        // f32(acc + bias) · m, rounded half to even, clamped to [lo, 127] (cvt.rni.sat then max(lo)); vmaxps/vminps
                        // where AVX runs (f is never NaN; ±0 both give 0), not the IEEE-maximum sequence of Vector256.Max/Min.
                        var f = Vector256.ConvertToSingle(sum) * Vector256.Load(mult + k0 + j);
                        var rounded = Vector256.Round(f);
                        var q = Vector256.ConvertToInt32(Avx.IsSupported ? Avx.Min(Avx.Max(rounded, lo), hi) : Vector256.Min(Vector256.Max(rounded, lo), hi));
                        var bytes = Vector256.Narrow(Vector256.Narrow(q, q), Vector256.Narrow(q, q));
                        if (_lut is null)
                        {
                            *(long*)(y + j) = bytes.AsInt64().ToScalar();
                        }
                        else
                        {
                            for (var i = 0; i < 8; i++)
                            {
                                y[j + i] = _lut[bytes.GetElement(i) + 128];
                            }
                        }
                    }
                }

                Scalar(a, y, k0, j, count);
            }
        }
    }

    // Rows of exactly 16 columns, as Store16: returns the rows done (all, or up to the first whose sums overflow).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Rows16(int* acc, int ldc, sbyte* y, int rows, int* bias, float* mult)
    {
        var lo = Vector512.Create((float)Lo);
        var hi = Vector512.Create(127f);
        var b = Vector512.Load(bias);
        var m = Vector512.Load(mult);
        for (var r = 0; r < rows; r++)
        {
            var v = Vector512.Load(acc + ((long)r * ldc));
            var sum = v + b;
            if ((((v ^ sum) & (b ^ sum)).ExtractMostSignificantBits()) != 0)
            {
                return r;
            }

            var f = Avx512F.Min(Avx512F.Max(Vector512.ConvertToSingle(sum) * m, lo), hi);
            Avx512F.ConvertToVector128SByteWithSaturation(Avx512F.ConvertToVector512Int32(f)).Store(y + ((long)r * Stride));
        }

        return rows;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StoreFixed(FixedPointChannel[] channels, int* acc, int ldc, int m0, int rows, int k0, int count)
    {
        for (var r = 0; r < rows; r++)
        {
            int* a = acc + ((long)r * ldc);
            sbyte* y = (sbyte*)_y + ((long)(m0 + r) * Stride) + k0;
            for (var j = 0; j < count; j++)
            {
                var p = channels[k0 + j];
                var q = FixedPointMultiplier.Requantize(a[j], p.Bias, p.Multiplier, p.LeftShift, p.RightShift, Lo);
                y[j] = _lut is null ? (sbyte)q : _lut[q + 128];
            }
        }
    }

    // 16 lanes a step with AVX-512: f = f32(acc + bias) · m clamped to [lo, 127] in float, then one cvtps2dq (round to
    // nearest even, the default rounding mode; clamping before rounding is the same as after, the bounds being
    // integers) and one vpmovsdb store. vmaxps/vminps rather than Vector512.Max/Min (whose IEEE NaN/−0 rules cost a
    // range-and-fixup sequence): f is never NaN (finite multipliers) and ±0 both convert to 0. A step whose int32 sum
    // would overflow stops here (the 8-lane and scalar code go on).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Store16(int* a, sbyte* y, int* bias, float* mult, int count)
    {
        var lo = Vector512.Create((float)Lo);
        var hi = Vector512.Create(127f);
        int j = 0;
        for (; j + 16 <= count; j += 16)
        {
            var v = Vector512.Load(a + j);
            var b = Vector512.Load(bias + j);
            var sum = v + b;
            if ((((v ^ sum) & (b ^ sum)).ExtractMostSignificantBits()) != 0)
            {
                break;
            }

            var f = Avx512F.Min(Avx512F.Max(Vector512.ConvertToSingle(sum) * Vector512.Load(mult + j), lo), hi);
            Avx512F.ConvertToVector128SByteWithSaturation(Avx512F.ConvertToVector512Int32(f)).Store(y + j);
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Scalar(int* a, sbyte* y, int k0, int from, int to)
    {
        for (var j = from; j < to; j++)
        {
            var q = QuantMath.Requantize(a[j], _bias[k0 + j], _multiplier[k0 + j], Lo);
            y[j] = _lut is null ? (sbyte)q : _lut[q + 128];
        }
    }
}
