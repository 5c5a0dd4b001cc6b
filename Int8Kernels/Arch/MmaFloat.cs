using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Floating-point tensor-core warp MMAs with FP32 accumulation (sm_80+):
/// <c>mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32</c> (FP16 inputs, two halves a register, low half first) and
/// <c>mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32</c> (TF32 inputs: FP32 bits of which the tensor core reads
/// sign, exponent and the top 10 mantissa bits). In bytes both have the fragment layout of the int8 m16n8k32
/// (<see cref="Mma"/>): a k step is 32 bytes of K (16 halves, 8 floats); lane (g = lane &gt;&gt; 2, t = lane &amp; 3) holds
/// a0 = A[g][bytes 4t..], a1 = A[g+8][4t..], a2 = A[g][16+4t..], a3 = A[g+8][16+4t..], b0 = W[g][4t..],
/// b1 = W[g][16+4t..], and the float accumulators c0 = C[g][2t], c1 = C[g][2t+1], c2 = C[g+8][2t], c3 = C[g+8][2t+1];
/// so the same ldmatrix loads and swizzled shared tiles serve all three.
/// <para>
/// The emulation (CPU accelerator) defines this project's reference order: every product is exact in FP32 (11-bit ×
/// 11-bit significands), and c += product is one FP32 rounding (RNE), taken for the byte quads q = 0..3 in turn, each
/// quad's bytes 4q..4q+3 then 16+4q..16+4q+3, the elements of a quad low to high. In halves that is k = 2q, 2q+1, 8+2q,
/// 9+2q; in TF32 k = q, 4+q. TF32 operands are truncated to their top 19 bits (bits &amp; 0xFFFFE000), which is what
/// the tensor core reads; the kernels round them first (<see cref="Tf32Round"/>), so the truncation drops nothing. The
/// tensor cores sum a k step with their own internal alignment and rounding, so GPU results differ from this order by
/// a few FP32 ulps of Σ|a·b| (the GPU tests bound it).
/// </para>
/// </summary>
internal static class MmaFloat
{
    /// <summary>TF32's kept bits of an FP32 word (sign, exponent, 10 mantissa bits).</summary>
    public const int Tf32Mask = unchecked((int)0xFFFFE000);

    /// <summary>The m16n8k16 FP16 instruction alone (CUDA only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void M16N8K16F16Ptx(
        ref float c0, ref float c1, ref float c2, ref float c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        Ref<float> d0 = c0, d1 = c1, d2 = c2, d3 = c3;
        Input<int> ia0 = a0, ia1 = a1, ia2 = a2, ia3 = a3, ib0 = b0, ib1 = b1;
        CudaAsm.EmitRef(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
            ref d0, ref d1, ref d2, ref d3, ref ia0, ref ia1, ref ia2, ref ia3, ref ib0, ref ib1);
        c0 = d0.Value;
        c1 = d1.Value;
        c2 = d2.Value;
        c3 = d3.Value;
    }

    /// <summary>The m16n8k8 TF32 instruction alone (CUDA only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void M16N8K8Tf32Ptx(
        ref float c0, ref float c1, ref float c2, ref float c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        Ref<float> d0 = c0, d1 = c1, d2 = c2, d3 = c3;
        Input<int> ia0 = a0, ia1 = a1, ia2 = a2, ia3 = a3, ib0 = b0, ib1 = b1;
        CudaAsm.EmitRef(
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
            ref d0, ref d1, ref d2, ref d3, ref ia0, ref ia1, ref ia2, ref ia3, ref ib0, ref ib1);
        c0 = d0.Value;
        c1 = d1.Value;
        c2 = d2.Value;
        c3 = d3.Value;
    }

    /// <summary>
    /// The FP16 product through warp shuffles in the reference order (see the class): lane 4g+q holds byte quad q of
    /// rows g (R0, R2) and g+8 (R1, R3); lanes 8t+q and 8t+4+q hold quad q of columns 2t and 2t+1. Never inlined: the
    /// .NET JIT would otherwise paste its 32 half conversions into each of a kernel's 128 MMA sites, and the CPU
    /// accelerator's first launch of an emulated FP16 kernel spent over a minute compiling that.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void M16N8K16F16Emulated(
        ref float c0, ref float c1, ref float c2, ref float c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        int lane = ILGPU.Warp.LaneIdx;
        int g = lane >> 2, t = lane & 3;
        var a = new Mma.ARegisters(a0, a1, a2, a3);
        var b = new Mma.BRegisters(b0, b1);
        for (int q = 0; q < 4; q++)
        {
            var rows = ILGPU.Warp.Shuffle(a, (4 * g) + q);
            var n0 = ILGPU.Warp.Shuffle(b, (8 * t) + q);
            var n1 = ILGPU.Warp.Shuffle(b, (8 * t) + 4 + q);
            c0 = Dot2(rows.R2, n0.R1, Dot2(rows.R0, n0.R0, c0));
            c1 = Dot2(rows.R2, n1.R1, Dot2(rows.R0, n1.R0, c1));
            c2 = Dot2(rows.R3, n0.R1, Dot2(rows.R1, n0.R0, c2));
            c3 = Dot2(rows.R3, n1.R1, Dot2(rows.R1, n1.R0, c3));
        }
    }

    /// <summary>The TF32 product through warp shuffles in the reference order (see the class).</summary>
    public static void M16N8K8Tf32Emulated(
        ref float c0, ref float c1, ref float c2, ref float c3,
        int a0, int a1, int a2, int a3, int b0, int b1)
    {
        int lane = ILGPU.Warp.LaneIdx;
        int g = lane >> 2, t = lane & 3;
        var a = new Mma.ARegisters(a0, a1, a2, a3);
        var b = new Mma.BRegisters(b0, b1);
        for (int q = 0; q < 4; q++)
        {
            var rows = ILGPU.Warp.Shuffle(a, (4 * g) + q);
            var n0 = ILGPU.Warp.Shuffle(b, (8 * t) + q);
            var n1 = ILGPU.Warp.Shuffle(b, (8 * t) + 4 + q);
            c0 = Dot1(rows.R2, n0.R1, Dot1(rows.R0, n0.R0, c0));
            c1 = Dot1(rows.R2, n1.R1, Dot1(rows.R0, n1.R0, c1));
            c2 = Dot1(rows.R3, n0.R1, Dot1(rows.R1, n0.R0, c2));
            c3 = Dot1(rows.R3, n1.R1, Dot1(rows.R1, n1.R0, c3));
        }
    }

    /// <summary>(c + lo(x)·lo(y)) + hi(x)·hi(y) over packed halves, FP32, each product exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot2(int x, int y, float c)
    {
        float s = c + (HalfConvert.Low(x) * HalfConvert.Low(y));
        return s + (HalfConvert.High(x) * HalfConvert.High(y));
    }

    /// <summary>c + tf32(x)·tf32(y), FP32, the product of two truncated TF32 values exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot1(int x, int y, float c) => c + (Tf32(x) * Tf32(y));

    /// <summary>
    /// FP32 bits rounded to TF32, to nearest with ties away from zero (as <c>cvt.rna.tf32.f32</c> and cuBLAS's TF32
    /// mode): (bits + 0x1000) &amp; 0xFFFFE000 on the sign-magnitude bits (a carry into the exponent is correct, the largest
    /// floats round to ∞; a NaN whose payload lies only in the dropped bits becomes ∞).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Tf32Round(int bits) => (bits + 0x1000) & Tf32Mask;

    /// <summary>The TF32 value the tensor core reads from FP32 bits: bits &amp; 0xFFFFE000 (truncation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tf32(int bits) => ILGPU.Interop.IntAsFloat((uint)(bits & Tf32Mask));
}
