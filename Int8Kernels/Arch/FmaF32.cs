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

        return FmaByRoundToOdd(a, b, c);
    }

    /// <summary>
    /// a · b + c rounded once, in double arithmetic ILGPU compiles (its PTX backend has no MathF.FusedMultiplyAdd and
    /// would leave an undefined call in the PTX even on this path, which CUDA never runs): p = a·b is exact in double
    /// (24 + 24 ≤ 53 bits); s = p + c rounded to nearest with its exact error e (TwoSum: p + c = s + e); s made odd
    /// toward e when inexact (round to odd); then round to float: RN₂₄(RO₅₃(x)) = RN₂₄(x) since 53 ≥ 24 + 2
    /// (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums", 2008). Equals MathF.FusedMultiplyAdd.
    /// </summary>
    internal static float FmaByRoundToOdd(float a, float b, float c)
    {
        double p = (double)a * b;
        double s = p + c;
        if (!double.IsFinite(s))
        {
            return (float)s;
        }

        // TwoSum: e = (p − (s − b')) + (c − b') with b' = s − p, exactly p + c − s.
        double bv = s - p;
        double e = (p - (s - bv)) + (c - bv);
        ulong bits = Interop.FloatAsInt(s);
        if (e != 0 && (bits & 1) == 0)
        {
            // One ulp away from zero when e has the sign of s (the exact sum is larger in magnitude), else towards it.
            bits = (e > 0) == (s > 0) ? bits + 1 : bits - 1;
        }

        return (float)Interop.IntAsFloat(bits);
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
