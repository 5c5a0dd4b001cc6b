using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Four-way 8-bit dot product with 32-bit accumulation (PTX <c>dp4a</c>, sm_61+):
/// d = c + Σ_{i=0..3} a.byte[i] · b.byte[i], bytes little-endian, wrapping int32 arithmetic.
/// Each form has an exact scalar fallback, which the CPU accelerator runs.
/// </summary>
internal static class Dp4a
{
    /// <summary>Signed × signed: d = c + Σ s8(a_i) · s8(b_i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SS(int a, int b, int c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp4a.s32.s32 %0, %1, %2, %3;", out int d, a, b, c);
            return d;
        }

        return unchecked(c
            + ((sbyte)a * (sbyte)b)
            + ((sbyte)(a >> 8) * (sbyte)(b >> 8))
            + ((sbyte)(a >> 16) * (sbyte)(b >> 16))
            + ((sbyte)(a >> 24) * (sbyte)(b >> 24)));
    }

    /// <summary>Unsigned × unsigned: d = c + Σ u8(a_i) · u8(b_i) (wrapping uint32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint UU(uint a, uint b, uint c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp4a.u32.u32 %0, %1, %2, %3;", out uint d, a, b, c);
            return d;
        }

        return unchecked(c
            + ((a & 0xFF) * (b & 0xFF))
            + (((a >> 8) & 0xFF) * ((b >> 8) & 0xFF))
            + (((a >> 16) & 0xFF) * ((b >> 16) & 0xFF))
            + ((a >> 24) * (b >> 24)));
    }

    /// <summary>Unsigned a × signed b: d = c + Σ u8(a_i) · s8(b_i) (the u8·s8 form VNNI also has).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int US(int a, int b, int c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp4a.u32.s32 %0, %1, %2, %3;", out int d, a, b, c);
            return d;
        }

        return unchecked(c
            + ((byte)a * (sbyte)b)
            + ((byte)(a >> 8) * (sbyte)(b >> 8))
            + ((byte)(a >> 16) * (sbyte)(b >> 16))
            + ((byte)(a >> 24) * (sbyte)(b >> 24)));
    }

    /// <summary>Signed a × unsigned b: d = c + Σ s8(a_i) · u8(b_i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SU(int a, int b, int c) => US(b, a, c);
}
