using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Full 32 × 32 → 64-bit signed product (PTX <c>mul.wide.s32</c>, one IMAD.WIDE): p = (int64)a · (int64)b, exact.
/// The scalar fallback is the same product in 64-bit arithmetic.
/// </summary>
internal static class MulWide
{
    /// <summary>p = a · b as int64 (never overflows: |p| ≤ 2^62).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long S32(int a, int b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.wide.s32 %0, %1, %2;", out long p, a, b);
            return p;
        }

        return (long)a * b;
    }
}
