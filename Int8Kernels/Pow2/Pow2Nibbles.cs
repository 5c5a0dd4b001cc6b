namespace ILGPUInt8.Kernels.Pow2;

/// <summary>
/// Power-of-two weights (INQ's {0, ±2^n}) stored as (sign, exponent) nibbles: w[n][k] = s · 2^(c − 1) · 2^Base for a
/// nibble (s, c) with c in 1 … 7, and w = 0 for c = 0; bit 3 is the sign (1: negative), bits 0–2 the code c. Two weights
/// a byte (even k in the low nibble), each row of K weights padded to <see cref="RowBytes"/> = ⌈K/2⌉ bytes. Seven
/// exponents fit: INQ at 4 bits (4 exponents) and 3 bits (2) do; 5 bits (8 exponents and zero: 17 values) cannot fit
/// any 4-bit code and is refused. As int8 (<see cref="Unpack"/>) a weight is s · 2^(c − 1) in [−64, 64].
/// </summary>
public sealed class Pow2Nibbles
{
    private Pow2Nibbles(byte[] packed, int rows, int k, int exponentBase)
    {
        Packed = packed;
        Rows = rows;
        K = k;
        Base = exponentBase;
    }

    /// <summary>Most exponents one tensor can hold.</summary>
    public const int MaxExponents = 7;

    /// <summary>The nibbles, row-major, <see cref="RowBytes"/> bytes a row.</summary>
    public byte[] Packed { get; }

    /// <summary>Rows (output channels).</summary>
    public int Rows { get; }

    /// <summary>Weights a row.</summary>
    public int K { get; }

    /// <summary>The smallest exponent: code 1 is 2^Base.</summary>
    public int Base { get; }

    /// <summary>Bytes a row.</summary>
    public int RowBytes => (K + 1) / 2;

    /// <summary>Packs [rows × k] weights that are all 0 or ±2^e; throws naming the first other value, or when more than 7 exponents occur.</summary>
    public static Pow2Nibbles Pack(ReadOnlySpan<float> weights, int rows, int k)
    {
        if (rows < 1 || k < 1 || weights.Length != (long)rows * k)
        {
            throw new ArgumentException($"{weights.Length} weights are not {rows} rows of {k}.", nameof(weights));
        }

        int lo = int.MaxValue, hi = int.MinValue;
        for (var i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (w == 0)
            {
                continue;
            }

            int e = Math.ILogB(w);
            if (!float.IsFinite(w) || MathF.ScaleB(1f, e) != MathF.Abs(w))
            {
                throw new ArgumentException($"Weight {i} ({w}) is not 0 or ± a power of two.", nameof(weights));
            }

            (lo, hi) = (Math.Min(lo, e), Math.Max(hi, e));
        }

        if (lo == int.MaxValue)
        {
            lo = hi = 0;
        }

        if (hi - lo + 1 > MaxExponents)
        {
            throw new ArgumentException($"The weights use exponents {lo} … {hi} ({hi - lo + 1}); a nibble holds {MaxExponents} (INQ at 4 bits or fewer).", nameof(weights));
        }

        int rowBytes = (k + 1) / 2;
        var packed = new byte[rows * rowBytes];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < k; j++)
            {
                float w = weights[(r * k) + j];
                int nibble = w == 0 ? 0 : ((w < 0 ? 8 : 0) | (Math.ILogB(w) - lo + 1));
                packed[(r * rowBytes) + (j / 2)] |= (byte)(nibble << (4 * (j % 2)));
            }
        }

        return new Pow2Nibbles(packed, rows, k, lo);
    }

    /// <summary>The int8 value of nibble <paramref name="nibble"/>: 0, or ±2^(c − 1).</summary>
    public static int Value(int nibble)
    {
        int code = nibble & 7;
        int magnitude = code == 0 ? 0 : 1 << (code - 1);
        return (nibble & 8) != 0 ? -magnitude : magnitude;
    }

    /// <summary>The weights as int8 [rows × k] (value · 2^−Base), for the int8 GEMMs (dp4a, tensor cores).</summary>
    public sbyte[] Unpack()
    {
        var w = new sbyte[Rows * K];
        for (var r = 0; r < Rows; r++)
        {
            for (var j = 0; j < K; j++)
            {
                w[(r * K) + j] = (sbyte)Value(Packed[(r * RowBytes) + (j / 2)] >> (4 * (j % 2)));
            }
        }

        return w;
    }

    /// <summary>The weights as floats (value · 2^Base), the inverse of <see cref="Pack"/>.</summary>
    public float[] ToFloats() => [.. Unpack().Select(v => MathF.ScaleB(v, Base))];
}
