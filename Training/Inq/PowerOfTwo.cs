namespace ILGPUInt8.Training.Inq;

/// <summary>
/// INQ's weight set (Zhou et al., ICLR 2017, eq. 2–4) for a layer with s = max|W| and bit width b:
/// P = {±2^n1, …, ±2^n2, 0} with n1 = ⌊log2(4s/3)⌋ and n2 = n1 + 1 − 2^(b−1)/2 (b bits: one for zero, the rest for
/// 2^(b−1)/2 exponents and the sign; b = 2 is ternary {0, ±2^n1}, b = 3 has two exponents, 4 has four, 5 has eight).
/// A weight w maps to β·sgn(w) when (α + β)/2 ≤ |w| &lt; 3β/2 for adjacent α &lt; β of P, that is
/// 0 when |w| &lt; 2^(n2−1), else 2^n·sgn(w) with n = clamp(⌊log2(|w| / 0.75)⌋, n2, n1).
/// </summary>
public readonly record struct PowerOfTwo(int N1, int N2)
{
    /// <summary>The exponent range for a layer whose largest magnitude is <paramref name="maxAbs"/>.</summary>
    public static PowerOfTwo ForLayer(float maxAbs, int bits)
    {
        if (bits is < 2 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "INQ bit widths are 2 to 8.");
        }

        if (!(maxAbs > 0) || !float.IsFinite(maxAbs))
        {
            throw new ArgumentOutOfRangeException(nameof(maxAbs), maxAbs, "The layer's largest weight magnitude must be finite and > 0.");
        }

        int n1 = (int)Math.Floor(Math.Log2(4.0 * maxAbs / 3.0));
        return new PowerOfTwo(n1, n1 + 1 - ((1 << (bits - 1)) / 2));
    }

    /// <summary>Number of exponents n1 − n2 + 1.</summary>
    public int Exponents => N1 - N2 + 1;

    /// <summary>The value of P nearest <paramref name="w"/> in INQ's sense (see the type's summary).</summary>
    public float Quantize(float w)
    {
        double a = Math.Abs((double)w);
        if (a < Math.ScaleB(1.0, N2 - 1))
        {
            return 0f;
        }

        int n = Math.Clamp(Math.ILogB(a / 0.75), N2, N1);
        return (float)Math.CopySign(Math.ScaleB(1.0, n), w);
    }

    /// <summary>Whether <paramref name="w"/> is in P.</summary>
    public bool Contains(float w)
    {
        if (w == 0)
        {
            return true;
        }

        double a = Math.Abs((double)w);
        int n = Math.ILogB(a);
        return Math.ScaleB(1.0, n) == a && n >= N2 && n <= N1;
    }
}
