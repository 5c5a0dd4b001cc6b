using System.Runtime.CompilerServices;
using ILGPU;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// IEEE 754 binary16 (FP16) ↔ binary32 conversions on raw bits, the same integer arithmetic in kernels (CPU
/// accelerator and CUDA) and on the host, so every path stores the same halves. FP16 tensors are stored as their
/// 16-bit patterns (<c>ushort</c>); arithmetic on them is FP32 (FP16 storage, FP32 arithmetic).
/// </summary>
public static class HalfConvert
{
    /// <summary>The largest finite half, 65504.</summary>
    public const float MaxValue = 65504f;

    /// <summary>
    /// Rounds a float to the nearest half, ties to even (IEEE round-to-nearest-even, as <c>(Half)f</c> in .NET and
    /// <c>cvt.rn.f16.f32</c>): |f| ≥ 65520 → ±∞; |f| &lt; 2^−14 → the subnormal m·2^−24 with m = RNE(|f|·2^24), computed
    /// as bits(|f| + 0.5) − bits(0.5) (adding 0.5 puts the float ulp at 2^−24, so the float adder rounds it);
    /// otherwise bits = (bits(|f|) − (112 &lt;&lt; 23) + 0xFFF + odd) &gt;&gt; 13 with odd the lowest kept mantissa bit (the
    /// 0xFFF + odd carry rounds the 13 dropped bits to nearest, ties to even; a carry into the exponent is correct).
    /// NaN → 0x7E00 | sign (a quiet NaN; the payload is not kept).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float value)
    {
        uint x = Interop.FloatAsInt(value);
        uint sign = (x >> 16) & 0x8000u;
        uint abs = x & 0x7FFFFFFFu;
        uint h;
        if (abs >= 0x47800000u)
        {
            // ≥ 65536, ∞ or NaN.
            h = abs > 0x7F800000u ? 0x7E00u : 0x7C00u;
        }
        else if (abs < 0x38800000u)
        {
            h = Interop.FloatAsInt(Interop.IntAsFloat(abs) + 0.5f) - 0x3F000000u;
        }
        else
        {
            uint odd = (abs >> 13) & 1u;
            h = (abs + 0xC8000FFFu + odd) >> 13;
        }

        return (ushort)(sign | h);
    }

    /// <summary>
    /// The float of a half, exactly: sign·2^(e − 15)·(1 + m/1024) for a normal half (bits re-biased by 112 and shifted),
    /// sign·m·2^−24 for a subnormal (an exact product: m &lt; 2^10), ±∞ and NaN (payload shifted up) for e = 31.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(int bits)
    {
        uint h = (uint)bits & 0xFFFFu;
        uint sign = (h & 0x8000u) << 16;
        uint e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
        if (e == 0)
        {
            float sub = m * 5.9604645E-08f;
            return sign != 0 ? -sub : sub;
        }

        uint exponent = e == 0x1Fu ? 0xFFu : e + 112u;
        return Interop.IntAsFloat(sign | (exponent << 23) | (m << 13));
    }

    /// <summary>The low half (bits 0-15) of a packed pair as a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Low(int pair) => ToFloat(pair & 0xFFFF);

    /// <summary>The high half (bits 16-31) of a packed pair as a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float High(int pair) => ToFloat((pair >> 16) & 0xFFFF);

    /// <summary>Two floats rounded to halves (<see cref="FromFloat"/>) and packed: lo in bits 0-15, hi in 16-31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Pack(float lo, float hi) => FromFloat(lo) | (FromFloat(hi) << 16);

    /// <summary>
    /// The float nearest to <paramref name="value"/> that a half can hold: ToFloat(FromFloat(value)), round-to-nearest-even
    /// (what storing a float in an FP16 tensor keeps; |value| ≥ 65520 → ±∞, below 2^−24 in magnitude → ±0 or the nearest
    /// subnormal m·2^−24). Idempotent: a value that is already a half is returned unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float value) => ToFloat(FromFloat(value));

    /// <summary>A copy of <paramref name="values"/> with each element rounded to the nearest half (<see cref="Round(float)"/>).</summary>
    public static float[] Round(ReadOnlySpan<float> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = Round(values[i]);
        }

        return result;
    }

    /// <summary>Converts host floats to half bits (<see cref="FromFloat"/> each).</summary>
    public static ushort[] FromFloats(ReadOnlySpan<float> values)
    {
        var result = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = FromFloat(values[i]);
        }

        return result;
    }

    /// <summary>Converts host half bits to floats (<see cref="ToFloat"/> each).</summary>
    public static float[] ToFloats(ReadOnlySpan<ushort> bits)
    {
        var result = new float[bits.Length];
        for (int i = 0; i < bits.Length; i++)
        {
            result[i] = ToFloat(bits[i]);
        }

        return result;
    }
}
