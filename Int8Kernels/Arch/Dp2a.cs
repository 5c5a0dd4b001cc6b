using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Two-way 16-bit × 8-bit dot product with 32-bit accumulation (PTX <c>dp2a</c>, sm_61+).
/// a holds two 16-bit values, b four bytes; <c>.lo</c> uses bytes 0-1 of b, <c>.hi</c> bytes 2-3:
/// d = c + a.h[0] · b.byte[2m] + a.h[1] · b.byte[2m+1], m = 0 (lo) or 1 (hi), wrapping int32.
/// </summary>
internal static class Dp2a
{
    /// <summary>Signed, low half of b: d = c + s16(a0)·s8(b0) + s16(a1)·s8(b1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LoSS(int a, int b, int c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp2a.lo.s32.s32 %0, %1, %2, %3;", out int d, a, b, c);
            return d;
        }

        return unchecked(c + ((short)a * (sbyte)b) + ((short)(a >> 16) * (sbyte)(b >> 8)));
    }

    /// <summary>Signed, high half of b: d = c + s16(a0)·s8(b2) + s16(a1)·s8(b3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HiSS(int a, int b, int c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp2a.hi.s32.s32 %0, %1, %2, %3;", out int d, a, b, c);
            return d;
        }

        return unchecked(c + ((short)a * (sbyte)(b >> 16)) + ((short)(a >> 16) * (sbyte)(b >> 24)));
    }

    /// <summary>Unsigned, low half of b: d = c + u16(a0)·u8(b0) + u16(a1)·u8(b1) (wrapping uint32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LoUU(uint a, uint b, uint c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp2a.lo.u32.u32 %0, %1, %2, %3;", out uint d, a, b, c);
            return d;
        }

        return unchecked(c + ((a & 0xFFFF) * (b & 0xFF)) + ((a >> 16) * ((b >> 8) & 0xFF)));
    }

    /// <summary>Unsigned, high half of b: d = c + u16(a0)·u8(b2) + u16(a1)·u8(b3) (wrapping uint32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint HiUU(uint a, uint b, uint c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp2a.hi.u32.u32 %0, %1, %2, %3;", out uint d, a, b, c);
            return d;
        }

        return unchecked(c + ((a & 0xFFFF) * ((b >> 16) & 0xFF)) + ((a >> 16) * (b >> 24)));
    }
}
