using ILGPUInt8.Kernels.Gemm;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// Scalar reference GEMM: acc[m, n] = Σ_k a[m·lda + k] · b[n·ldb + k] in wrapping int32 (as dp4a and mma.sync),
/// The oracle for every GEMM variant.
/// </summary>
internal static class GemmReference
{
    /// <summary>The int32 accumulators, row-major [M, N].</summary>
    public static int[] Accumulate(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, GemmProblem p)
    {
        p.Validate();
        var acc = new int[(long)p.M * p.N];
        for (var m = 0; m < p.M; m++)
        {
            var row = a.Slice(m * p.Lda, p.K);
            for (var n = 0; n < p.N; n++)
            {
                var col = b.Slice(n * p.Ldb, p.K);
                int sum = 0;
                for (var k = 0; k < p.K; k++)
                {
                    sum = unchecked(sum + (row[k] * col[k]));
                }

                acc[((long)m * p.N) + n] = sum;
            }
        }

        return acc;
    }
}
