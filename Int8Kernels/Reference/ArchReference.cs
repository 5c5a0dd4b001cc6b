namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// Byte-by-byte scalar twins of the packed-int8 instructions in <c>Arch/</c>, written for clarity, not speed:
/// the oracle their kernels (fallbacks and PTX) are tested against.
/// </summary>
internal static class ArchReference
{
    /// <summary>Byte <paramref name="i"/> of a word as signed (s = true) or unsigned.</summary>
    public static long Byte(int word, int i, bool signed) =>
        signed ? (sbyte)((word >> (8 * i)) & 0xFF) : (word >> (8 * i)) & 0xFF;

    /// <summary>Half <paramref name="i"/> of a word as signed or unsigned 16-bit.</summary>
    public static long Half(int word, int i, bool signed) =>
        signed ? (short)((word >> (16 * i)) & 0xFFFF) : (word >> (16 * i)) & 0xFFFF;

    /// <summary>dp4a: c + Σ_{i&lt;4} a_i·b_i, computed in 64 bits and wrapped to 32.</summary>
    public static int Dp4a(int a, bool aSigned, int b, bool bSigned, int c)
    {
        long sum = aSigned || bSigned ? c : (uint)c;
        for (var i = 0; i < 4; i++)
        {
            sum += Byte(a, i, aSigned) * Byte(b, i, bSigned);
        }

        return unchecked((int)sum);
    }

    /// <summary>dp2a: c + a.h0·b_{2m} + a.h1·b_{2m+1}, m = 0 (lo) or 1 (hi), wrapped to 32 bits.</summary>
    public static int Dp2a(int a, int b, int c, bool hi, bool signed)
    {
        var m = hi ? 2 : 0;
        long sum = signed ? c : (uint)c;
        sum += Half(a, 0, signed) * Byte(b, m, signed);
        sum += Half(a, 1, signed) * Byte(b, m + 1, signed);
        return unchecked((int)sum);
    }

    /// <summary>Round half to even then clamp to [-127, 127]; NaN → 0.</summary>
    public static int FloatToInt8Symmetric(float x)
    {
        if (float.IsNaN(x))
        {
            return 0;
        }

        double r = Math.Round((double)x, MidpointRounding.ToEven);
        return (int)Math.Clamp(r, -127.0, 127.0);
    }

    /// <summary>The low 8 bits of each value in bytes 0..3 (no saturation), as <c>PackedInt8.Pack</c>.</summary>
    public static int PackBytes(int b0, int b1, int b2, int b3)
    {
        int[] v = [b0, b1, b2, b3];
        uint word = 0;
        for (var i = 0; i < 4; i++)
        {
            word |= (uint)(v[i] & 0xFF) << (8 * i);
        }

        return unchecked((int)word);
    }

    /// <summary>The low 16 bits of each value in halves 0..1, as <c>PackedInt8.Pack16</c>.</summary>
    public static int PackHalves(int lo, int hi) => unchecked((int)((uint)(lo & 0xFFFF) | ((uint)(hi & 0xFFFF) << 16)));

    /// <summary>clamp(v, lo, hi) written out.</summary>
    public static int Clamp(int v, int lo, int hi)
    {
        if (v < lo)
        {
            return lo;
        }

        return v > hi ? hi : v;
    }

    /// <summary>a + b in 64 bits, clamped to the int32 range.</summary>
    public static int AddSaturate(int a, int b) => (int)Math.Clamp((long)a + b, int.MinValue, int.MaxValue);

    /// <summary>The exact 64-bit product, by 128-bit arithmetic.</summary>
    public static long MulWide(int a, int b) => (long)((Int128)a * b);

    /// <summary>Four int32 saturated to [-128, 127] in bytes 0..3.</summary>
    public static int PackSaturated(int v0, int v1, int v2, int v3)
    {
        var word = 0;
        int[] v = [v0, v1, v2, v3];
        for (var i = 0; i < 4; i++)
        {
            word |= (Math.Clamp(v[i], -128, 127) & 0xFF) << (8 * i);
        }

        return word;
    }
}
