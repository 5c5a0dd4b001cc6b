using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// The portable fallback: one thread per output, acc = Σ_k A[m][k]·B[n][k] with dp4a over words gathered 4 bytes at
/// a time (any alignment, any leading dimension), then the epilogue. Slow but always applicable.
/// </summary>
public sealed class GemmDp4aSimple : IGemmVariant
{
    /// <inheritdoc />
    public string Name => "gemm_s8s8s32_tn_dp4a_simple";

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, GemmProblem problem, GemmOperands? operands = null) =>
        (long)problem.M * problem.N > int.MaxValue ? "outputs over 2^31 elements are not supported" : null;

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var kernel = device.GetKernel("gemm.dp4a.simple." + typeof(TEpilogue).FullName, acc =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, GemmProblem, TEpilogue>(Kernel));
        // One thread per output, a 1-D index (a 2-D grid is limited to 65535 rows).
        kernel(new Index1D(problem.M * problem.N), a, b, problem, epilogue);
    }

    /// <summary>Thread m·N + n: acc = Σ_k A[m·lda + k]·B[n·ldb + k].</summary>
    internal static void Kernel<TEpilogue>(Index1D index, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem p, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        int m = index.X / p.N, n = index.X - (m * p.N);
        long ra = (long)m * p.Lda, rb = (long)n * p.Ldb;
        int acc = 0;
        int k = 0;
        for (; k + 4 <= p.K; k += 4)
        {
            int wa = PackedInt8.Pack(a[ra + k], a[ra + k + 1], a[ra + k + 2], a[ra + k + 3]);
            int wb = PackedInt8.Pack(b[rb + k], b[rb + k + 1], b[rb + k + 2], b[rb + k + 3]);
            acc = Dp4a.SS(wa, wb, acc);
        }

        for (; k < p.K; k++)
        {
            acc += a[ra + k] * b[rb + k];
        }

        epilogue.Apply(m, n, acc);
    }
}
