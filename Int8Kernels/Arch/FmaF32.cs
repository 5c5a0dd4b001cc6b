using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// IEEE FP32 arithmetic with the rounding spelled out, so that a kernel's sums match the host's bit for bit: PTX
/// <c>fma.rn.f32</c> and <c>add.rn.f32</c> (round to nearest even, subnormals kept: no <c>.ftz</c>, and the explicit
/// rounding keeps ptxas from contracting or reordering them). The CPU accelerator runs the .NET forms, which round the same.
/// </summary>
internal static class FmaF32
{
    /// <summary>d = a · b + c rounded once (fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fma(float a, float b, float c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("fma.rn.f32 %0, %1, %2, %3;", out float d, a, b, c);
            return d;
        }

        return MathF.FusedMultiplyAdd(a, b, c);
    }

    /// <summary>d = a + b rounded to nearest even (kept as written: a + 0 turns −0 into +0, as on the host).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out float d, a, b);
            return d;
        }

        return a + b;
    }
}
