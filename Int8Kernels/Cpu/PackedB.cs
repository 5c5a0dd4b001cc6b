namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// The B operand (weights, N rows of K int8) packed once for one CPU variant:
/// VNNI and scalar: [N/8][K/4][8] words of 4 k-bytes (one 256-bit load = 8 columns × 4 k) and column sums Σ_k B[n][k] for the
/// +128 activation offset; AVX2: [N/8][K/2][8] words of two int16 (8 columns × 2 k).
/// K is padded to a multiple of 4 and N to a multiple of 8 with zeros.
/// </summary>
internal sealed class PackedB
{
    /// <summary>Packs B [N][K] (K-contiguous) for a variant (the best supported when null).</summary>
    public PackedB(ReadOnlySpan<sbyte> b, int n, int k, CpuIsa? isa = null)
    {
        if (n <= 0 || k <= 0)
        {
            throw new ArgumentException($"N ({n}) and K ({k}) must be positive.", nameof(n));
        }

        if (b.Length < (long)n * k)
        {
            throw new ArgumentException($"B has {b.Length} values; N={n} × K={k} needs {(long)n * k}.", nameof(b));
        }

        Isa = isa ?? CpuIsaSupport.Best();
        if (!CpuIsaSupport.IsSupported(Isa))
        {
            throw new NotSupportedException($"This processor does not support {Isa}.");
        }

        N = n;
        K = k;
        int kp = PaddedK(k), blocks = (n + 7) / 8;
        ColumnSums = new int[blocks * 8];
        for (var c = 0; c < n; c++)
        {
            int sum = 0;
            for (var i = 0; i < k; i++)
            {
                sum += b[(c * k) + i];
            }

            ColumnSums[c] = sum;
        }

        int perWord = Isa == CpuIsa.Avx2 ? 2 : 4;
        Words = new int[blocks * (kp / perWord) * 8];
        for (var nb = 0; nb < blocks; nb++)
        {
            for (var kw = 0; kw < kp / perWord; kw++)
            {
                for (var lane = 0; lane < 8; lane++)
                {
                    int col = (nb * 8) + lane, word = 0;
                    for (var j = 0; j < perWord; j++)
                    {
                        int kk = (kw * perWord) + j;
                        int v = col < n && kk < k ? b[(col * k) + kk] : 0;
                        word |= perWord == 2 ? (v & 0xFFFF) << (16 * j) : (v & 0xFF) << (8 * j);
                    }

                    Words[(((nb * (kp / perWord)) + kw) * 8) + lane] = word;
                }
            }
        }
    }

    /// <summary>The variant this packing is for.</summary>
    public CpuIsa Isa { get; }

    /// <summary>Rows of B (columns of C).</summary>
    public int N { get; }

    /// <summary>Reduction length.</summary>
    public int K { get; }

    /// <summary>The packed words (layout per <see cref="Isa"/>).</summary>
    internal int[] Words { get; }

    /// <summary>Σ_k B[n][k] per column (padded to a multiple of 8).</summary>
    internal int[] ColumnSums { get; }

    /// <summary>K rounded up to a multiple of 4.</summary>
    public static int PaddedK(int k) => (k + 3) / 4 * 4;
}
