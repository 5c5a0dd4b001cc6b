namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// C[M, N] = A[M, K] · B[N, K]ᵀ with both operands K-contiguous ("TN"): A row m at a[m·lda ..],
/// B row n (one output channel's weights) at b[n·ldb ..]; int8 × int8 → int32.
/// Leading dimensions default to K; a K-padded operand has ld ≥ K.
/// </summary>
/// <param name="M">Rows of A and C.</param>
/// <param name="N">Rows of B, columns of C.</param>
/// <param name="K">Reduction length.</param>
/// <param name="Lda">Elements between rows of A.</param>
/// <param name="Ldb">Elements between rows of B.</param>
public readonly record struct GemmProblem(int M, int N, int K, int Lda, int Ldb)
{
    /// <summary>A dense problem (lda = ldb = K).</summary>
    public GemmProblem(int m, int n, int k)
        : this(m, n, k, k, k)
    {
    }

    /// <summary>Multiply-adds M·N·K (ops = 2·MACs).</summary>
    public long Macs => (long)M * N * K;

    /// <summary>Throws when a size is not positive or a leading dimension is smaller than K.</summary>
    public void Validate()
    {
        if (M <= 0 || N <= 0 || K <= 0)
        {
            throw new ArgumentException($"GEMM sizes must be positive: M={M}, N={N}, K={K}.");
        }

        if (Lda < K || Ldb < K)
        {
            throw new ArgumentException($"Leading dimensions must be ≥ K={K}: lda={Lda}, ldb={Ldb}.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"M={M} N={N} K={K}";
}
