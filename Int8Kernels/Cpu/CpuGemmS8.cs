namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// INT8 GEMM on the CPU with System.Runtime.Intrinsics: C[M,N] = A[M,K]·B[N,K]ᵀ in wrapping int32, bit-exact with
/// <see cref="Reference.GemmReference"/> and the GPU kernels. B (the weights) is packed once per variant
/// (<see cref="PackedB"/>); rows of C are split across cores by <see cref="CpuThreads"/>.
/// </summary>
internal static class CpuGemmS8
{
    /// <summary>Rows of A handled together (register block).</summary>
    internal const int RowBlock = 4;

    /// <summary>C = A·Bᵀ into <paramref name="c"/> (row-major M×N).</summary>
    public static void Run(ReadOnlySpan<sbyte> a, PackedB b, int[] c, int m)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length < (long)m * b.K)
        {
            throw new ArgumentException($"A has {a.Length} values; M={m} × K={b.K} needs {(long)m * b.K}.", nameof(a));
        }

        if (c.Length < (long)m * b.N)
        {
            throw new ArgumentException($"C has {c.Length} values; M={m} × N={b.N} needs {(long)m * b.N}.", nameof(c));
        }

        var packedA = PackA(a, m, b.K, b.Isa);

        // Cache blocking: work items are (row chunk × column panel) tiles, so a B panel (K × 64 columns) stays in L2
        // while the row blocks of a chunk stream past it.
        int rowChunks = (m + RowChunk - 1) / RowChunk, panels = (b.N + PanelColumns - 1) / PanelColumns;
        var items = new Tiles { A = packedA, B = b, C = c, M = m, Panels = panels };
        CpuThreads.For(rowChunks * panels, (long)m * b.K * b.N, ref items);
    }

    /// <summary>One work item: a row chunk × a column panel.</summary>
    private struct Tiles : ICpuForBody
    {
        public int[] A;
        public PackedB B;
        public int[] C;
        public int M;
        public int Panels;

        public readonly void Run(int item)
        {
            var b = B;
            int chunk = item / Panels, panel = item % Panels;
            int nb0 = panel * (PanelColumns / 8), nb1 = Math.Min(nb0 + (PanelColumns / 8), (b.N + 7) / 8);
            int rowEnd = Math.Min(M, (chunk + 1) * RowChunk);
            for (int m0 = chunk * RowChunk; m0 < rowEnd; m0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, rowEnd - m0);
                switch (b.Isa)
                {
                    case CpuIsa.AvxVnni:
                        CpuGemmVnni.Block(A, m0, rows, b, C, nb0, nb1);
                        break;
                    case CpuIsa.Avx2:
                        CpuGemmAvx2.Block(A, m0, rows, b, C, nb0, nb1);
                        break;
                    default:
                        CpuGemmScalar.Block(A, m0, rows, b, C, nb0, nb1);
                        break;
                }
            }
        }
    }

    /// <summary>Rows of a work item.</summary>
    internal const int RowChunk = 64;

    /// <summary>Columns of a work item's B panel.</summary>
    internal const int PanelColumns = 64;

    /// <summary>A rows laid out for the variant: VNNI as u8 (a + 128) words, AVX2 as int16 pairs, scalar as is; K padded with zeros.</summary>
    internal static int[] PackA(ReadOnlySpan<sbyte> a, int m, int k, CpuIsa isa)
    {
        int kp = PackedB.PaddedK(k);
        var words = new int[(long)m * (isa == CpuIsa.Avx2 ? kp / 2 : kp / 4)];
        for (var r = 0; r < m; r++)
        {
            var row = a.Slice(r * k, k);
            if (isa == CpuIsa.Avx2)
            {
                for (var i = 0; i < kp / 2; i++)
                {
                    int lo = 2 * i < k ? row[2 * i] : 0, hi = (2 * i) + 1 < k ? row[(2 * i) + 1] : 0;
                    words[(r * (kp / 2)) + i] = (lo & 0xFFFF) | (hi << 16);
                }
            }
            else
            {
                int offset = isa == CpuIsa.AvxVnni ? 128 : 0;
                for (var i = 0; i < kp / 4; i++)
                {
                    int w = 0;
                    for (var j = 0; j < 4; j++)
                    {
                        int kk = (4 * i) + j;
                        int v = kk < k ? row[kk] + offset : 0;
                        w |= (v & 0xFF) << (8 * j);
                    }

                    words[(r * (kp / 4)) + i] = w;
                }
            }
        }

        return words;
    }
}
