using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// Scalar reference of the floating-point implicit-GEMM convolution (<see cref="IFloatConvVariant"/>): the im2col rows
/// A[m][j] = x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c] (0 in the padding; <see cref="Im2ColReference"/>), j = (r·S + s)·C + c,
/// times the KRSC weights, summed in FP32 in the tensor cores' reference order (<see cref="FloatGemmReference"/>: exact
/// products of halves or TF32 values, one RNE rounding per addition, k steps of 32 bytes in turn). The kernels walk the
/// same j order, so on the CPU accelerator's emulated instructions they equal it bit for bit. Groups = 1.
/// </summary>
internal static class FloatConvReference
{
    /// <summary>Accumulators [N·P·Q][K] of half bit patterns x (NHWC) and w (KRSC).</summary>
    public static float[] Fp16(ushort[] x, ushort[] w, ConvProblem p) =>
        FloatGemmReference.Fp16(Im2ColReference.Forward<ushort>(x, p, Columns(p)), w, Gemm(p));

    /// <summary>Accumulators [N·P·Q][K] of FP32 x (NHWC) and w (KRSC) multiplied in TF32 (each operand rounded first).</summary>
    public static float[] Tf32(float[] x, float[] w, ConvProblem p) =>
        FloatGemmReference.Tf32(Im2ColReference.Forward<float>(x, p, Columns(p)), w, Gemm(p));

    /// <summary>The GEMM view: M = N·P·Q, N = K, K = R·S·C (dense rows).</summary>
    public static GemmProblem Gemm(ConvProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new GemmProblem(p.N * p.P * p.Q, p.K, Columns(p));
    }

    /// <summary>
    /// A bound on |tensor core − reference| per output: <see cref="FloatGemmReference.Tolerance"/> of the im2col rows of
    /// the operand values <paramref name="x"/> and <paramref name="w"/> (halves or TF32-rounded floats, as floats).
    /// </summary>
    public static float[] Tolerance(float[] x, float[] w, ConvProblem p) =>
        FloatGemmReference.Tolerance(Im2ColReference.Forward<float>(x, p, Columns(p)), w, Gemm(p));

    private static int Columns(ConvProblem p) => p.R * p.S * p.C;
}
