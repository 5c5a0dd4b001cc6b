using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// Receives tiles of int32 accumulators of a CPU INT8 GEMM: rows [m0, m0 + rows) × columns [k0, k0 + count) of the
/// output, acc[r·ldc + j] the accumulator of row m0 + r, column k0 + j.
/// </summary>
internal unsafe interface ICpuInt8Sink
{
    /// <summary>Consumes one tile (called concurrently for disjoint tiles).</summary>
    void Store(int* acc, int ldc, int m0, int rows, int k0, int count);
}

/// <summary>
/// INT8 convolution (and fully connected, as the 1×1 convolution of [N, 1, 1, C·H·W]) on the CPU: NHWC im2col rows packed
/// per instruction-set variant × weights packed once (<see cref="PackedB"/>, one per group), register-blocked micro-kernels
/// (<see cref="CpuGemmTile"/>), cache-blocked: a work item is a chunk of output pixels (its A tile, ≈ 192 KiB) × a range of
/// output channels walked in B panels of ≈ 256 KiB, items spread over cores by <see cref="CpuThreads"/>. Exact wrapping int32 sums,
/// so the accumulators equal <see cref="Reference.ConvolutionReference.Forward"/> bit for bit whatever the variant.
/// </summary>
internal sealed unsafe class CpuConvS8
{
    private readonly PackedB[] _groups;
    private readonly PackedB? _direct;
    private readonly PerBatch<ConvProblem> _batches;
    private CpuDirectFused.Epilogue? _epilogue;

    /// <summary>Packs KRSC weights [K][R][S][C/groups] for problems shaped like <paramref name="problem"/> (any N).</summary>
    public CpuConvS8(ReadOnlySpan<sbyte> krsc, ConvProblem problem, CpuIsa? isa = null)
        : this(krsc, problem, isa, DirectDefault)
    {
    }

    /// <summary>
    /// Whether new convolutions take <see cref="CpuDirectConv"/> where it applies (default: on; the environment variable
    /// ILGPUINT8_CPU_DIRECT=0 turns it off; the benchmark's A/B sets it).
    /// </summary>
    internal static bool DirectDefault { get; set; } = Environment.GetEnvironmentVariable("ILGPUINT8_CPU_DIRECT") != "0";

    /// <summary>As above; <paramref name="direct"/> false keeps VNNI on the im2col path where <see cref="CpuDirectConv"/> applies (for tests).</summary>
    internal CpuConvS8(ReadOnlySpan<sbyte> krsc, ConvProblem problem, CpuIsa? isa, bool direct)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        int taps = problem.R * problem.S * problem.CPerGroup, kg = problem.KPerGroup;
        if (krsc.Length != (long)problem.K * taps)
        {
            throw new ArgumentException($"The weights have {krsc.Length} values; K={problem.K} × R·S·C/g={taps} needs {(long)problem.K * taps}.", nameof(krsc));
        }

        Problem = problem;
        _batches = new PerBatch<ConvProblem>(n => problem with { N = n });
        if (direct && CpuDirectConv.Applies(problem, CpuIsaSupport.Checked(isa)))
        {
            // One group: the weights repacked with each filter row's run padded to whole words (see CpuDirectConv).
            var padded = CpuDirectConv.PadRuns(krsc, problem);
            _direct = new PackedB(padded, kg, padded.Length / kg, isa);
            _groups = [];
            return;
        }

        _groups = new PackedB[problem.Groups];
        for (var g = 0; g < problem.Groups; g++)
        {
            _groups[g] = new PackedB(krsc.Slice(g * kg * taps, kg * taps), kg, taps, isa);
        }
    }

    /// <summary>The problem the weights were packed for (batch 1).</summary>
    public ConvProblem Problem { get; }

    /// <summary>The variant the weights are packed for.</summary>
    public CpuIsa Isa => _direct?.Isa ?? _groups[0].Isa;

    /// <summary>False keeps the direct path's epilogue in the sink (tests compare both).</summary>
    internal bool Fused { get; init; } = true;

    /// <summary>True when a batch with this sink runs through <see cref="CpuDirectFused"/> (the requantize in registers).</summary>
    internal bool FusesWith(in CpuRequantizeSink sink) => _direct is not null && Fused && Epilogue(sink).Applies;

    /// <summary>True when <see cref="ForwardPooled"/> runs with this sink: the fused kernels and every multiplier ≥ 0.</summary>
    internal bool FusesPoolWith(in CpuRequantizeSink sink) => FusesWith(sink) && Epilogue(sink).PoolApplies;

    /// <summary>
    /// The fused epilogue's checks and start values for this sink's arrays: the last one prepared when it is for the
    /// same arrays (a step passes the same ones every run), else prepared now and kept.
    /// </summary>
    private CpuDirectFused.Epilogue Epilogue(in CpuRequantizeSink sink)
    {
        var known = Volatile.Read(ref _epilogue);
        if (known is not null && known.IsFor(sink))
        {
            return known;
        }

        known = CpuDirectFused.Prepare(_direct!, sink);
        Volatile.Write(ref _epilogue, known);
        return known;
    }

    /// <summary>
    /// The convolution followed by a 2×2 stride-2 max pool (no padding, floor mode) in one pass: the sink's int8 rows
    /// receive the pooled output [N, P/2, Q/2, K] (pixel (n, ph, pw) at row (n·(P/2) + ph)·(Q/2) + pw). Needs
    /// <see cref="FusesPoolWith"/>.
    /// </summary>
    internal void ForwardPooled(sbyte* x, int batch, in CpuRequantizeSink sink)
    {
        if (!FusesPoolWith(sink))
        {
            throw new InvalidOperationException("The pooled convolution needs the fused direct kernels (FusesPoolWith).");
        }

        var p = _batches[batch];
        var d = _direct!;
        fixed (int* words = d.Words)
        {
            CpuDirectFused.TryForward(CpuPaddedIm2Col.Build(x, p, 0x80), p, d, words, sink, Epilogue(sink), pool: true);
        }
    }

    /// <summary>True when the batches run through <see cref="CpuDirectConv"/> (no im2col matrix).</summary>
    internal bool Direct => _direct is not null;

    /// <summary>
    /// Runs the GEMM of a batch: x NHWC [N, H, W, C] (N·H·W·C bytes at <paramref name="x"/>), accumulators of output
    /// pixel m = (n·P + p)·Q + q and channel k handed to <paramref name="sink"/>.
    /// </summary>
    public void Forward<TSink>(sbyte* x, int batch, TSink sink)
        where TSink : ICpuInt8Sink
    {
        if (batch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be at least 1.");
        }

        var p = _batches[batch];
        if (_direct is { } d)
        {
            fixed (int* words = d.Words)
            {
                // The requantize epilogue in registers where it applies (the JIT folds the type test per sink type).
                var xp = CpuPaddedIm2Col.Build(x, p, 0x80);
                if (typeof(TSink) == typeof(CpuRequantizeSink) && Fused
                    && CpuDirectFused.TryForward(xp, p, d, words, Unsafe.As<TSink, CpuRequantizeSink>(ref sink), Epilogue(Unsafe.As<TSink, CpuRequantizeSink>(ref sink))))
                {
                    return;
                }

                CpuDirectConv.Forward(xp, p, d, words, sink);
            }

            return;
        }

        for (var g = 0; g < _groups.Length; g++)
        {
            Group(x, p, g, sink);
        }
    }

    private void Group<TSink>(sbyte* x, ConvProblem p, int g, TSink sink)
        where TSink : ICpuInt8Sink
    {
        var b = _groups[g];
        int taps = b.K, kp = PackedB.PaddedK(taps), wpr = CpuGemmTile.WordsPerRow(taps, b.Isa);
        long m = (long)p.N * p.P * p.Q, xLength = (long)p.N * p.H * p.W * p.C;
        int blocks = (b.N + 7) / 8;

        // A tile ≈ 192 KiB of packed rows (a multiple of the micro-kernel's 6 rows), B panels ≈ 256 KiB (an even block count).
        int chunk = Math.Clamp(196608 / (wpr * 4) / CpuGemmTile.Rows, 1, 32) * CpuGemmTile.Rows;
        int panel = Math.Max(2, 262144 / (wpr * 4 * 8) / 2 * 2);
        int chunks = (int)((m + chunk - 1) / chunk);

        // Few pixels (a fully connected layer, small images): split the channels too, so every core has work — only
        // when the work will run in parallel (each channel group builds its own A tile: on one thread, waste).
        bool parallel = CpuThreads.Max > 1 && m * taps * b.N >= CpuThreads.SerialWork;
        int want = parallel ? 4 * CpuThreads.Max : 1, colGroups = 1;
        while (chunks * colGroups < want && colGroups * 4 <= blocks)
        {
            colGroups *= 2;
        }

        int groupBlocks = (blocks + colGroups - 1) / colGroups;

        // One group, no dilation: im2col rows from a padded copy (already offset for VNNI), see CpuPaddedIm2Col.
        sbyte* xp = CpuPaddedIm2Col.Applies(p) ? CpuPaddedIm2Col.Build(x, p, b.Isa == CpuIsa.AvxVnni ? (byte)0x80 : (byte)0) : null;
        fixed (int* words = b.Words)
        {
            var items = new GroupItems<TSink>
            {
                B = b,
                Words = words,
                X = x,
                Xp = xp,
                P = p,
                G = g,
                M = m,
                XLength = xLength,
                Kp = kp,
                Wpr = wpr,
                Blocks = blocks,
                Chunk = chunk,
                Panel = panel,
                ColGroups = colGroups,
                GroupBlocks = groupBlocks,
                Sink = sink,
            };
            CpuThreads.For(chunks * colGroups, m * taps * b.N, ref items);
        }
    }

    /// <summary>One work item of <see cref="Group"/>: a chunk of output pixels × a range of B blocks, tiles from the array pool.</summary>
    private struct GroupItems<TSink> : ICpuForBody
        where TSink : ICpuInt8Sink
    {
        public PackedB B;
        public int* Words;
        public sbyte* X;
        public sbyte* Xp;
        public ConvProblem P;
        public int G, Kp, Wpr, Blocks, Chunk, Panel, ColGroups, GroupBlocks;
        public long M, XLength;
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

            var b = B;
            int kp = Kp, wpr = Wpr;
            int m0 = ci * Chunk, rows = (int)Math.Min(Chunk, M - m0), padded = (rows + CpuGemmTile.Rows - 1) / CpuGemmTile.Rows * CpuGemmTile.Rows;
            bool oneRow = rows == 1 && b.Isa == CpuIsa.AvxVnni;
            if (oneRow)
            {
                // The one-row kernel reads no padding rows: none are built.
                padded = 1;
            }

            int ldc = (gb1 - gb0) * 8;
            // Slack: the padded im2col copies whole vectors past a row's end.
            var aTile = CpuScratch<int>.First((padded * wpr) + (CpuPaddedIm2Col.Slack / 4));
            var bytes = b.Isa == CpuIsa.Avx2 ? CpuScratch<sbyte>.First((padded * kp) + CpuPaddedIm2Col.Slack) : null;
            var cTile = CpuScratch<int>.Second(padded * ldc);
            fixed (int* a = aTile)
            fixed (int* c = cTile)
            fixed (sbyte* byteTile = bytes)
            {
                var raw = bytes is null ? new Span<sbyte>(a, padded * kp) : bytes.AsSpan(0, padded * kp);
                if (Xp is not null)
                {
                    // Rows straight from the padded copy (VNNI: already u8 words; AVX2: bytes, widened below).
                    CpuPaddedIm2Col.Rows(Xp, P, m0, rows, bytes is null ? (sbyte*)a : byteTile, kp);
                    raw[(rows * kp)..].Clear();
                    if (b.Isa == CpuIsa.Avx2)
                    {
                        PackRows(raw, padded, kp, b.Isa, a);
                    }
                }
                else
                {
                    var xs = new ReadOnlySpan<sbyte>(X, (int)XLength);
                    CpuIm2Col.Rows(xs, P, G, m0, rows, raw, kp);
                    raw[(rows * kp)..].Clear();
                    PackRows(raw, padded, kp, b.Isa, a);
                }

                if (oneRow)
                {
                    // Batch 1 of a fully connected layer (or a one-pixel output): one row, no zero rows computed.
                    CpuGemmTile.VnniRow(a, b, Words, gb0, gb1, c - (gb0 * 8));
                }
                else
                {
                    for (var p0 = gb0; p0 < gb1; p0 += Panel)
                    {
                        CpuGemmTile.Run(a, padded, b, Words, p0, Math.Min(gb1, p0 + Panel), c - (gb0 * 8), ldc);
                    }
                }

                Sink.Store(c, ldc, m0, rows, (G * b.N) + (gb0 * 8), Math.Min(b.N, gb1 * 8) - (gb0 * 8));
            }
        }
    }

    /// <summary>
    /// Rows of s8 (row length kp) → the variant's packed words at <paramref name="a"/>: VNNI a + 128 as u8 (in place when
    /// <paramref name="raw"/> is that memory), AVX2 sign-extended int16 pairs, scalar unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackRows(Span<sbyte> raw, int rows, int kp, CpuIsa isa, int* a)
    {
        int total = rows * kp;
        if (isa == CpuIsa.AvxVnni)
        {
            var flip = Vector256.Create((sbyte)-128);
            fixed (sbyte* s = raw)
            {
                byte* d = (byte*)a;
                int i = 0;
                for (; i + 32 <= total; i += 32)
                {
                    (Vector256.Load(s + i) ^ flip).AsByte().Store(d + i);
                }

                for (; i < total; i++)
                {
                    d[i] = (byte)(s[i] ^ 0x80);
                }
            }
        }
        else if (isa == CpuIsa.Avx2)
        {
            fixed (sbyte* s = raw)
            {
                short* d = (short*)a;
                int i = 0;
                for (; i + 16 <= total; i += 16)
                {
                    Avx2.ConvertToVector256Int16(Vector128.Load(s + i)).Store(d + i);
                }

                for (; i < total; i++)
                {
                    d[i] = s[i];
                }
            }
        }
        else if (raw.Length > 0)
        {
            fixed (sbyte* s = raw)
            {
                if (s != (sbyte*)a)
                {
                    raw[..total].CopyTo(new Span<sbyte>(a, total));
                }
            }
        }
    }
}
