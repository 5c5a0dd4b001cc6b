using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// A floating-point tensor-core implicit-GEMM convolution (groups = 1): x [N, H, W, C] (NHWC) ⊛ w [K, R, S, C] (KRSC)
/// with FP32 accumulation, acc[m][k] = Σ_j A[m][j]·w[k][j] over j = (r·S + s)·C + c, A[m][j] = x[n, p·sh − ph + r·dh,
/// q·sw − pw + s·dw, c] (0 in the padding), m = (n·P + p)·Q + q; the accumulators go to an
/// <see cref="IFloatGemmEpilogue"/> as a GEMM's C [N·P·Q][K] (so NHWC output with ld = K). No im2col matrix is written.
/// </summary>
public interface IFloatConvVariant
{
    /// <summary>A stable name (CUTLASS-like).</summary>
    string Name { get; }

    /// <summary>The input precision (FP16 halves or FP32 multiplied in TF32).</summary>
    FloatMmaInput Input { get; }

    /// <summary>Null when the variant can run the problem on the device, else why not.</summary>
    string? CanImplement(Int8Device device, ConvProblem problem);

    /// <summary>
    /// Runs the convolution on <paramref name="x"/> (NHWC) and <paramref name="weights"/> (KRSC, rows of R·S·C
    /// elements) given as raw bytes (FP16: 2 bytes an element, TF32: 4), both starting on a 16-byte boundary.
    /// Asynchronous on CUDA.
    /// </summary>
    void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IFloatGemmEpilogue;
}
