namespace ILGPUInt8.Kernels.Cpu;

/// <summary>Scalar block over the scalar packing (the VNNI word layout with no +128 offset): the portable fallback.</summary>
internal static class CpuGemmScalar
{
    /// <summary>Rows m0..m0+rows−1, column blocks [nbStart, nbEnd) of C: c = Σ_k a·b over bytes of the packed words.</summary>
    public static void Block(int[] packedA, int m0, int rows, PackedB b, int[] c, int nbStart, int nbEnd)
    {
        int kw = PackedB.PaddedK(b.K) / 4;
        for (var r = m0; r < m0 + rows; r++)
        {
            for (var n = nbStart * 8; n < Math.Min(b.N, nbEnd * 8); n++)
            {
                int nb = n >> 3, lane = n & 7, sum = 0;
                for (var i = 0; i < kw; i++)
                {
                    int wa = packedA[(r * kw) + i], wb = b.Words[(((nb * kw) + i) * 8) + lane];
                    sum = unchecked(sum + ((sbyte)wa * (sbyte)wb) + ((sbyte)(wa >> 8) * (sbyte)(wb >> 8))
                        + ((sbyte)(wa >> 16) * (sbyte)(wb >> 16)) + ((sbyte)(wa >> 24) * (sbyte)(wb >> 24)));
                }

                c[(r * b.N) + n] = sum;
            }
        }
    }
}
