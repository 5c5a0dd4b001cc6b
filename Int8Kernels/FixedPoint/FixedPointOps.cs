using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.FixedPoint;

/// <summary>
/// Integer primitives of the fixed-point library: saturating add, subtract, negate and shift, rounding shifts, and the
/// Q-format multiply. Exact (each result is the correctly rounded or saturated integer); usable inside ILGPU kernels.
/// The doubling high multiply and the rounding divide by a power of two are <see cref="FixedPointMultiplier"/>'s.
/// </summary>
public static class FixedPointOps
{
    /// <summary>sat32(a + b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SaturatingAdd(int a, int b) => Saturate.AddInt32(a, b);

    /// <summary>sat32(a − b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SaturatingSub(int a, int b) => Clamp32((long)a - b);

    /// <summary>sat32(−a) (−int.MinValue → int.MaxValue).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SaturatingNeg(int a) => a == int.MinValue ? int.MaxValue : -a;

    /// <summary>sat32(a · 2^n) for n in [0, 31].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SaturatingShiftLeft(int a, int n) => Clamp32((long)a << n);

    /// <summary>x / 2^n rounded to nearest, ties away from zero, for n in [0, 31] (gemmlowp's RoundingDivideByPOT).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RoundingShiftRight(int x, int n) => FixedPointMultiplier.RoundingDivideByPOT(x, n);

    /// <summary>x / 2^n rounded to nearest, ties away from zero, for 64-bit x and n in [0, 63] (n ≥ 63 gives 0 or ±1 rounded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long RoundingShiftRight(long x, int n)
    {
        if (n <= 0)
        {
            return x;
        }

        if (n >= 63)
        {
            return 0;
        }

        long half = 1L << (n - 1);
        // Ties away from zero: add half to |x| and shift, then restore the sign.
        return x >= 0 ? (x + half) >> n : -((-x + half) >> n);
    }

    /// <summary>x · 2^s rounded to nearest (ties away) when s &lt; 0, saturated to int32 when s &gt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ShiftSaturating(long x, int s)
    {
        if (s >= 0)
        {
            if (s >= 32)
            {
                return x > 0 ? int.MaxValue : x < 0 ? int.MinValue : 0;
            }

            // |x| < 2^62 assumed; the shift cannot wrap a value that then saturates.
            long limit = long.MaxValue >> s;
            return x > limit ? int.MaxValue : x < -limit ? int.MinValue : Clamp32(x << s);
        }

        return Clamp32(RoundingShiftRight(x, -s));
    }

    /// <summary>
    /// The product of a (Q·aFrac) and b (Q·bFrac) in Q·outFrac: round_half_away(a · b · 2^(outFrac − aFrac − bFrac)),
    /// saturated; the 64-bit product is exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Multiply(int a, int aFrac, int b, int bFrac, int outFrac) =>
        ShiftSaturating((long)a * b, outFrac - aFrac - bFrac);

    /// <summary>x in Q·fromFrac re-expressed in Q·toFrac (rounded, saturated).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Rescale(int x, int fromFrac, int toFrac) => ShiftSaturating(x, toFrac - fromFrac);

    /// <summary>The index of the highest set bit of x &gt; 0 (0 … 62), by binary search (no intrinsic needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HighestBit(long x)
    {
        int n = 0;
        if (x >= 1L << 32) { x >>= 32; n += 32; }
        if (x >= 1L << 16) { x >>= 16; n += 16; }
        if (x >= 1L << 8) { x >>= 8; n += 8; }
        if (x >= 1L << 4) { x >>= 4; n += 4; }
        if (x >= 1L << 2) { x >>= 2; n += 2; }
        if (x >= 1L << 1) { n += 1; }
        return n;
    }

    /// <summary>sat32(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Clamp32(long x) => x > int.MaxValue ? int.MaxValue : x < int.MinValue ? int.MinValue : (int)x;
}
