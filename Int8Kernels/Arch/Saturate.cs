using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Saturating conversions to int8. All round half to even (PTX <c>.rni</c>); NaN converts to 0,
/// +Inf and values above the range to the maximum, -Inf and values below to the minimum.
/// </summary>
internal static class Saturate
{
    /// <summary>
    /// Float to int8 in the symmetric range: q = clamp(round_half_even(x), -127, 127); NaN → 0.
    /// PTX: <c>cvt.rni.sat.s8.f32</c> (range [-128, 127]) then max with -127.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FloatToInt8Symmetric(float x)
    {
        int q;
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cvt.rni.sat.s8.f32 %0, %1;", out q, x);
            q = (sbyte)q;
        }
        else
        {
            q = FloatToInt8Scalar(x);
        }

        return q < -127 ? -127 : q;
    }

    /// <summary>Scalar twin of <c>cvt.rni.sat.s8.f32</c>: clamp(round_half_even(x), -128, 127), NaN → 0.</summary>
    public static int FloatToInt8Scalar(float x)
    {
        if (float.IsNaN(x))
        {
            return 0;
        }

        if (x >= 127f)
        {
            return 127;
        }

        if (x <= -128f)
        {
            return -128;
        }

        // Round half to even; exact here since |x| < 128 leaves x + 0.5 representable.
        float r = MathF.Floor(x + 0.5f);
        if (r - x == 0.5f && ((int)r & 1) != 0)
        {
            r -= 1f;
        }

        return (int)r;
    }

    /// <summary>
    /// Packs four int32 values into one word of int8 lanes, each saturated to [-128, 127]
    /// (PTX: two <c>cvt.pack.sat.s8.s32.b32</c>). Lane 0 = <paramref name="v0"/> in the low byte.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PackInt32ToInt8x4(int v0, int v1, int v2, int v3)
    {
        if (CudaAsm.IsSupported)
        {
            // cvt.pack.sat.s8.s32.b32 d, a, b, c: d = (c << 16) | (sat(a) << 8) | sat(b).
            CudaAsm.Emit("cvt.pack.sat.s8.s32.b32 %0, %1, %2, 0;", out int hi, v3, v2);
            CudaAsm.Emit("cvt.pack.sat.s8.s32.b32 %0, %1, %2, %3;", out int word, v1, v0, hi);
            return word;
        }

        return PackedInt8.Pack(ClampInt8(v0), ClampInt8(v1), ClampInt8(v2), ClampInt8(v3));
    }

    /// <summary>
    /// Saturating int32 addition: clamp(a + b, int.MinValue, int.MaxValue), the sum taken exactly
    /// (PTX <c>add.sat.s32</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AddInt32(int a, int b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.sat.s32 %0, %1, %2;", out int sum, a, b);
            return sum;
        }

        // The wrapped sum overflowed iff a and b share a sign that the sum does not.
        int s = unchecked(a + b);
        return ((a ^ s) & (b ^ s)) < 0 ? (a < 0 ? int.MinValue : int.MaxValue) : s;
    }

    /// <summary>clamp(v, -128, 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ClampInt8(int v) => v < -128 ? -128 : v > 127 ? 127 : v;

    /// <summary>clamp(v, lo, 127) for the symmetric range (lo = -127, or 0 with a fused ReLU).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ClampSymmetric(int v, int lo) => v < lo ? lo : v > 127 ? 127 : v;
}
