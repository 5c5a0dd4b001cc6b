using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// IEEE FP32 arithmetic with the rounding spelled out, so that a kernel's sums match the host's bit for bit: PTX
/// <c>fma.rn.f32</c> and <c>add.rn.f32</c> (round to nearest even, subnormals kept: no <c>.ftz</c>, and the explicit
/// rounding keeps ptxas from contracting or reordering them). The CPU accelerator runs the .NET forms, which round the same.
/// Inline PTX because ILGPU 1.5.3 has no PTX for <see cref="MathF.FusedMultiplyAdd"/> (it emits a call to an undefined
/// function) and writes a · b + c as <c>mul.f32</c> + <c>add.f32</c>, which ptxas may or may not contract.
/// </summary>
internal static class FmaF32
{
    /// <summary>d = a · b + c rounded once (fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fma(float a, float b, float c)
    {
        if (CudaAsm.IsSupported)
        {
            // .b32 operands (an .f32 instruction takes them): ILGPU's 4-byte result slot is then one PtxLocalSlotPass
            // turns back into a register.
            CudaAsm.Emit("fma.rn.f32 %0, %1, %2, %3;", out uint d, Interop.FloatAsInt(a), Interop.FloatAsInt(b), Interop.FloatAsInt(c));
            return Interop.IntAsFloat(d);
        }

        return MathF.FusedMultiplyAdd(a, b, c);
    }

    /// <summary>d = a + b rounded to nearest even (kept as written: a + 0 turns −0 into +0, as on the host).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out uint d, Interop.FloatAsInt(a), Interop.FloatAsInt(b));
            return Interop.IntAsFloat(d);
        }

        return a + b;
    }
}
