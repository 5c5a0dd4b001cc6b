using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// Direct INT8 convolution with AVX-VNNI, no im2col matrix: the A operand's words are broadcast straight from the
/// zero-padded, +128-offset copy of <see cref="CpuPaddedIm2Col.Build"/>. Output pixel m = (n·P + p)·Q + q reads, for each
/// filter row r, one contiguous run of S·C bytes at xp[n][p·sh + r][q·sw][0]; the run is read as W = ⌈S·C / 4⌉ words
/// and the weights are repacked to match: w'[k][r][4·j + b] = w[k][r][s][c] for 4·j + b = s·C + c &lt; S·C, else 0
/// (the bytes read past a run's end meet zero weights and add nothing). So the reduction is R·W words a pixel
/// (K' = 4·R·W ≥ R·S·C: conv1 of the Fashion CNN, 3×3 over C = 1, is 3 words, not 9 bytes gathered into a row).
/// Micro-kernel: 6 pixels × 16 channels (12 accumulators, 2 B loads and 6 broadcasts a word), C = acc − 128·Σ_k B[n][k],
/// tiles of a chunk of pixels handed to the sink as in <see cref="CpuConvS8"/>: exact wrapping int32 sums, so the
/// accumulators equal the im2col path and <see cref="Reference.ConvolutionReference.Forward"/> bit for bit.
/// </summary>
internal static unsafe class CpuDirectConv
{
    /// <summary>True when the direct path applies: AVX-VNNI, one group, no dilation, not a plain 1×1 (whose rows are x's rows).</summary>
    public static bool Applies(ConvProblem p, CpuIsa isa) => isa == CpuIsa.AvxVnni && CpuPaddedIm2Col.Applies(p);

    /// <summary>Words of one filter row's run (S·C bytes rounded up to a word).</summary>
    public static int RunWords(ConvProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return ((p.S * p.C) + 3) / 4;
    }

    /// <summary>KRSC weights [K][R][S·C] → [K][R][4·<see cref="RunWords"/>], zeros after each run.</summary>
    public static sbyte[] PadRuns(ReadOnlySpan<sbyte> krsc, ConvProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int run = p.S * p.C, padded = 4 * RunWords(p);
        var w = new sbyte[p.K * p.R * padded];
        for (var k = 0; k < p.K; k++)
        {
            for (var r = 0; r < p.R; r++)
            {
                krsc.Slice(((k * p.R) + r) * run, run).CopyTo(w.AsSpan(((k * p.R) + r) * padded, run));
            }
        }

        return w;
    }

    /// <summary>
    /// Accumulators of every output pixel of x (NHWC, N = p.N; <paramref name="xp"/> its padded copy from
    /// <see cref="CpuPaddedIm2Col.Build"/> with the 0x80 flip) against weights packed from <see cref="PadRuns"/>, handed
    /// to <paramref name="sink"/> in tiles (<paramref name="words"/> pins <paramref name="b"/>'s words).
    /// </summary>
    public static void Forward<TSink>(sbyte* xp, ConvProblem p, PackedB b, int* words, TSink sink)
        where TSink : ICpuInt8Sink
    {
        int wpr = b.K / 4;
        long m = (long)p.N * p.P * p.Q;
        int blocks = (b.N + 7) / 8;

        // Chunks of pixels (a multiple of the micro-kernel's 6 rows, ≤ 192): the C tile stays in L1/L2; B panels ≈ 256 KiB.
        int chunk = Math.Clamp(196608 / (wpr * 4) / CpuGemmTile.Rows, 1, 32) * CpuGemmTile.Rows;
        int panel = Math.Max(2, 262144 / (wpr * 4 * 8) / 2 * 2);
        int chunks = (int)((m + chunk - 1) / chunk);
        bool parallel = CpuThreads.Max > 1 && m * wpr * 4 * b.N >= CpuThreads.SerialWork;
        int want = parallel ? 4 * CpuThreads.Max : 1, colGroups = 1;
        while (chunks * colGroups < want && colGroups * 4 <= blocks)
        {
            colGroups *= 2;
        }

        var items = new Items<TSink>
        {
            B = b,
            Words = words,
            Xp = xp,
            P = p,
            M = m,
            RunWords = RunWords(p),
            RowBytes = (long)CpuPaddedIm2Col.PaddedWidth(p) * p.C,
            Blocks = blocks,
            Chunk = chunk,
            Panel = panel,
            ColGroups = colGroups,
            GroupBlocks = (blocks + colGroups - 1) / colGroups,
            Sink = sink,
        };
        CpuThreads.For(chunks * colGroups, m * wpr * 4 * b.N, ref items);
    }

    /// <summary>One work item: a chunk of output pixels × a range of B blocks.</summary>
    private struct Items<TSink> : ICpuForBody
        where TSink : ICpuInt8Sink
    {
        public PackedB B;
        public int* Words;
        public sbyte* Xp;
        public ConvProblem P;
        public long M, RowBytes;
        public int RunWords, Blocks, Chunk, Panel, ColGroups, GroupBlocks;
        public TSink Sink;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int item)
        {
            int ci = item / ColGroups, gi = item % ColGroups;
            int gb0 = gi * GroupBlocks, gb1 = Math.Min(Blocks, gb0 + GroupBlocks);
            if (gb0 >= gb1)
            {
                return;
            }

            var p = P;
            long m0 = (long)ci * Chunk;
            int rows = (int)Math.Min(Chunk, M - m0), padded = (rows + CpuGemmTile.Rows - 1) / CpuGemmTile.Rows * CpuGemmTile.Rows;
            int ldc = (gb1 - gb0) * 8, wpr = B.K / 4, q = p.Q, pq = p.P * q, hp = CpuPaddedIm2Col.PaddedHeight(p);

            // Pixel i's run start in the padded copy: xp[n][oh·sh][ow·sw][0]; the rows padding the last tile repeat the last pixel.
            long* offsets = stackalloc long[padded];
            int n = (int)(m0 / pq), pix = (int)(m0 % pq), oh = pix / q, ow = pix % q;
            long stepW = (long)p.StrideW * p.C;
            for (var i = 0; i < rows; i++)
            {
                offsets[i] = ((((long)n * hp) + ((long)oh * p.StrideH)) * RowBytes) + (ow * stepW);
                if (++ow == q)
                {
                    ow = 0;
                    if (++oh == p.P)
                    {
                        oh = 0;
                        n++;
                    }
                }
            }

            for (var i = rows; i < padded; i++)
            {
                offsets[i] = offsets[rows - 1];
            }

            var cTile = CpuScratch<int>.Second(padded * ldc);
            fixed (int* c = cTile)
            {
                int* cb = c - (gb0 * 8);
                for (var p0 = gb0; p0 < gb1; p0 += Panel)
                {
                    int p1 = Math.Min(gb1, p0 + Panel);
                    for (var r0 = 0; r0 < padded; r0 += CpuGemmTile.Rows)
                    {
                        var nb = p0;
                        for (; nb + 1 < p1; nb += 2)
                        {
                            Vnni6x16(Xp, offsets + r0, p.R, RunWords, RowBytes, Words + ((long)nb * wpr * 8), wpr * 8, B.ColumnSums, nb, cb + ((long)r0 * ldc) + (nb * 8), ldc);
                        }

                        if (nb < p1)
                        {
                            Vnni6x8(Xp, offsets + r0, p.R, RunWords, RowBytes, Words + ((long)nb * wpr * 8), B.ColumnSums, nb, cb + ((long)r0 * ldc) + (nb * 8), ldc);
                        }
                    }
                }

                Sink.Store(c, ldc, (int)m0, rows, gb0 * 8, Math.Min(B.N, gb1 * 8) - (gb0 * 8));
            }
        }
    }

    // acc += vpdpbusd(u8 word of pixel i broadcast, 8 s8 B words) over R runs of W words, 6 pixels × 2 column blocks
    // (block 1's words `stride` ints after block 0's); then C = acc − 128·Σ_k B[n][k] = Σ a·b (wrapping int32).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni6x16(sbyte* xp, long* offsets, int r, int runWords, long rowBytes, int* b, int stride, int[] sums, int nb, int* c, int ldc)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int* a0 = (int*)(xp + offsets[0]), a1 = (int*)(xp + offsets[1]), a2 = (int*)(xp + offsets[2]);
        int* a3 = (int*)(xp + offsets[3]), a4 = (int*)(xp + offsets[4]), a5 = (int*)(xp + offsets[5]);
        for (var t = 0; t < r; t++)
        {
            for (var j = 0; j < runWords; j++, b += 8)
            {
                var v0 = Avx.LoadVector256(b).AsSByte();
                var v1 = Avx.LoadVector256(b + stride).AsSByte();
                var x = Vector256.Create(a0[j]).AsByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, v0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, v1);
                x = Vector256.Create(a1[j]).AsByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, v0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, v1);
                x = Vector256.Create(a2[j]).AsByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, v0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, v1);
                x = Vector256.Create(a3[j]).AsByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, v0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, v1);
                x = Vector256.Create(a4[j]).AsByte();
                c40 = AvxVnni.MultiplyWideningAndAdd(c40, x, v0);
                c41 = AvxVnni.MultiplyWideningAndAdd(c41, x, v1);
                x = Vector256.Create(a5[j]).AsByte();
                c50 = AvxVnni.MultiplyWideningAndAdd(c50, x, v0);
                c51 = AvxVnni.MultiplyWideningAndAdd(c51, x, v1);
            }

            a0 = (int*)((sbyte*)a0 + rowBytes);
            a1 = (int*)((sbyte*)a1 + rowBytes);
            a2 = (int*)((sbyte*)a2 + rowBytes);
            a3 = (int*)((sbyte*)a3 + rowBytes);
            a4 = (int*)((sbyte*)a4 + rowBytes);
            a5 = (int*)((sbyte*)a5 + rowBytes);
        }

        var k0 = Vector256.Create(sums, nb * 8) << 7;
        var k1 = Vector256.Create(sums, (nb + 1) * 8) << 7;
        (c00 - k0).Store(c);
        (c01 - k1).Store(c + 8);
        (c10 - k0).Store(c + ldc);
        (c11 - k1).Store(c + ldc + 8);
        (c20 - k0).Store(c + (2 * ldc));
        (c21 - k1).Store(c + (2 * ldc) + 8);
        (c30 - k0).Store(c + (3 * ldc));
        (c31 - k1).Store(c + (3 * ldc) + 8);
        (c40 - k0).Store(c + (4 * ldc));
        (c41 - k1).Store(c + (4 * ldc) + 8);
        (c50 - k0).Store(c + (5 * ldc));
        (c51 - k1).Store(c + (5 * ldc) + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni6x8(sbyte* xp, long* offsets, int r, int runWords, long rowBytes, int* b, int[] sums, int nb, int* c, int ldc)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        int* a0 = (int*)(xp + offsets[0]), a1 = (int*)(xp + offsets[1]), a2 = (int*)(xp + offsets[2]);
        int* a3 = (int*)(xp + offsets[3]), a4 = (int*)(xp + offsets[4]), a5 = (int*)(xp + offsets[5]);
        for (var t = 0; t < r; t++)
        {
            for (var j = 0; j < runWords; j++, b += 8)
            {
                var v = Avx.LoadVector256(b).AsSByte();
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, Vector256.Create(a0[j]).AsByte(), v);
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, Vector256.Create(a1[j]).AsByte(), v);
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, Vector256.Create(a2[j]).AsByte(), v);
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, Vector256.Create(a3[j]).AsByte(), v);
                c4 = AvxVnni.MultiplyWideningAndAdd(c4, Vector256.Create(a4[j]).AsByte(), v);
                c5 = AvxVnni.MultiplyWideningAndAdd(c5, Vector256.Create(a5[j]).AsByte(), v);
            }

            a0 = (int*)((sbyte*)a0 + rowBytes);
            a1 = (int*)((sbyte*)a1 + rowBytes);
            a2 = (int*)((sbyte*)a2 + rowBytes);
            a3 = (int*)((sbyte*)a3 + rowBytes);
            a4 = (int*)((sbyte*)a4 + rowBytes);
            a5 = (int*)((sbyte*)a5 + rowBytes);
        }

        var k0 = Vector256.Create(sums, nb * 8) << 7;
        (c0 - k0).Store(c);
        (c1 - k0).Store(c + ldc);
        (c2 - k0).Store(c + (2 * ldc));
        (c3 - k0).Store(c + (3 * ldc));
        (c4 - k0).Store(c + (4 * ldc));
        (c5 - k0).Store(c + (5 * ldc));
    }
}
