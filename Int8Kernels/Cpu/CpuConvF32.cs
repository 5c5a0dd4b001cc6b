using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// FP32 convolution (and fully connected) on the CPU: NHWC im2col rows × weights packed once as [K/16][R·S·C/g][16] panels,
/// a 6 × 16 FMA micro-kernel (12 accumulators: 2 B loads and 6 A broadcasts per k), the same cache blocking and core split
/// as <see cref="CpuConvS8"/>; epilogue y = act(acc + bias[k]). Sums run in k order per output, so results differ from the
/// direct reference only by FMA rounding.
/// </summary>
internal sealed unsafe class CpuConvF32
{
    private const int Rows = 6;
    private readonly float[][] _panels;
    private readonly float[] _bias;
    private readonly ActivationSpec _activation;
    private readonly int _taps;
    private readonly int _kg;
    private readonly PerBatch<ConvProblem> _batches;

    /// <summary>Packs KRSC float weights for problems shaped like <paramref name="problem"/>; bias may be empty (zeros).</summary>
    public CpuConvF32(ReadOnlySpan<float> krsc, ReadOnlySpan<float> bias, ConvProblem problem, ActivationSpec activation)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        _taps = problem.R * problem.S * problem.CPerGroup;
        _kg = problem.KPerGroup;
        if (krsc.Length != (long)problem.K * _taps)
        {
            throw new ArgumentException($"The weights have {krsc.Length} values; K={problem.K} × R·S·C/g={_taps} needs {(long)problem.K * _taps}.", nameof(krsc));
        }

        if (!bias.IsEmpty && bias.Length != problem.K)
        {
            throw new ArgumentException($"The bias has {bias.Length} values; K={problem.K} needs that many or none.", nameof(bias));
        }

        Problem = problem;
        _batches = new PerBatch<ConvProblem>(n => problem with { N = n });
        _bias = bias.IsEmpty ? new float[problem.K] : bias.ToArray();
        _activation = activation;
        int blocks = (_kg + 15) / 16;
        _panels = new float[problem.Groups][];
        for (var g = 0; g < problem.Groups; g++)
        {
            var panel = _panels[g] = new float[blocks * _taps * 16];
            for (var k = 0; k < _kg; k++)
            {
                for (var t = 0; t < _taps; t++)
                {
                    panel[(((k / 16) * _taps) + t) * 16 + (k % 16)] = krsc[(((g * _kg) + k) * _taps) + t];
                }
            }
        }
    }

    /// <summary>The problem the weights were packed for (batch 1).</summary>
    public ConvProblem Problem { get; }

    /// <summary>y NHWC [N, P, Q, K] = act(conv(x) + bias) for x NHWC [N, H, W, C].</summary>
    public void Forward(float* x, int batch, float* y)
    {
        if (batch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be at least 1.");
        }

        var p = _batches[batch];
        for (var g = 0; g < p.Groups; g++)
        {
            Group(x, p, g, y);
        }
    }

    private void Group(float* x, ConvProblem p, int g, float* y)
    {
        long m = (long)p.N * p.P * p.Q, xLength = (long)p.N * p.H * p.W * p.C;
        int blocks = (_kg + 15) / 16, taps = _taps;
        int chunk = Math.Clamp(196608 / (taps * 4) / Rows, 1, 32) * Rows;
        int panel = Math.Max(1, 262144 / (taps * 4 * 16));
        int chunks = (int)((m + chunk - 1) / chunk);
        int want = 4 * CpuThreads.Max, colGroups = 1;
        while (chunks * colGroups < want && colGroups * 2 <= blocks)
        {
            colGroups *= 2;
        }

        int groupBlocks = (blocks + colGroups - 1) / colGroups;
        fixed (float* packed = _panels[g])
        {
            var items = new GroupItems
            {
                Owner = this,
                Weights = packed,
                X = x,
                Y = y,
                P = p,
                G = g,
                M = m,
                XLength = xLength,
                Taps = taps,
                Blocks = blocks,
                Chunk = chunk,
                Panel = panel,
                ColGroups = colGroups,
                GroupBlocks = groupBlocks,
            };
            CpuThreads.For(chunks * colGroups, m * taps * _kg, ref items);
        }
    }

    /// <summary>One work item of <see cref="Group"/>: a chunk of output pixels × a range of 16-column blocks.</summary>
    private struct GroupItems : ICpuForBody
    {
        public CpuConvF32 Owner;
        public float* Weights, X, Y;
        public ConvProblem P;
        public int G, Taps, Blocks, Chunk, Panel, ColGroups, GroupBlocks;
        public long M, XLength;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int item)
        {
            int ci = item / ColGroups, gi = item % ColGroups, taps = Taps;
            int gb0 = gi * GroupBlocks, gb1 = Math.Min(Blocks, gb0 + GroupBlocks);
            if (gb0 >= gb1)
            {
                return;
            }

            int m0 = ci * Chunk, rows = (int)Math.Min(Chunk, M - m0), padded = (rows + Rows - 1) / Rows * Rows;
            int ldc = (gb1 - gb0) * 16;
            var aTile = CpuScratch<float>.First(padded * taps);
            var cTile = CpuScratch<float>.Second(padded * ldc);
            fixed (float* a = aTile)
            fixed (float* c = cTile)
            {
                var raw = new Span<float>(a, padded * taps);
                CpuIm2Col.Rows(new ReadOnlySpan<float>(X, (int)XLength), P, G, m0, rows, raw, taps);
                raw[(rows * taps)..].Clear();
                for (var p0 = gb0; p0 < gb1; p0 += Panel)
                {
                    for (var r0 = 0; r0 < padded; r0 += Rows)
                    {
                        for (var nb = p0; nb < Math.Min(gb1, p0 + Panel); nb++)
                        {
                            Micro(a + (r0 * taps), taps, Weights + ((long)nb * taps * 16), c + (r0 * ldc) + ((nb - gb0) * 16), ldc);
                        }
                    }
                }

                var kg = Owner._kg;
                Owner.Finish(c, ldc, m0, rows, G * kg, gb0 * 16, Math.Min(kg, gb1 * 16) - (gb0 * 16), Y, P.K);
            }
        }
    }

    // c[r][0..16) = Σ_t a[r][t] · b[t][0..16) for 6 rows, fused multiply-adds in t order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro(float* a, int taps, float* b, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a1 = a + taps, a2 = a1 + taps, a3 = a2 + taps, a4 = a3 + taps, a5 = a4 + taps;
        for (var t = 0; t < taps; t++)
        {
            var v0 = Vector256.Load(b + (t * 16));
            var v1 = Vector256.Load(b + (t * 16) + 8);
            var x = Vector256.Create(a[t]);
            c00 = Vector256.FusedMultiplyAdd(x, v0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, v1, c01);
            x = Vector256.Create(a1[t]);
            c10 = Vector256.FusedMultiplyAdd(x, v0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, v1, c11);
            x = Vector256.Create(a2[t]);
            c20 = Vector256.FusedMultiplyAdd(x, v0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, v1, c21);
            x = Vector256.Create(a3[t]);
            c30 = Vector256.FusedMultiplyAdd(x, v0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, v1, c31);
            x = Vector256.Create(a4[t]);
            c40 = Vector256.FusedMultiplyAdd(x, v0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, v1, c41);
            x = Vector256.Create(a5[t]);
            c50 = Vector256.FusedMultiplyAdd(x, v0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, v1, c51);
        }

        c00.Store(c);
        c01.Store(c + 8);
        c10.Store(c + ldc);
        c11.Store(c + ldc + 8);
        c20.Store(c + (2 * ldc));
        c21.Store(c + (2 * ldc) + 8);
        c30.Store(c + (3 * ldc));
        c31.Store(c + (3 * ldc) + 8);
        c40.Store(c + (4 * ldc));
        c41.Store(c + (4 * ldc) + 8);
        c50.Store(c + (5 * ldc));
        c51.Store(c + (5 * ldc) + 8);
    }

    // y[m][kBase + col0 + j] = act(c[r][j] + bias), ReLU and none vectorised.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Finish(float* c, int ldc, int m0, int rows, int kBase, int col0, int count, float* y, int stride)
    {
        var zero = Vector256<float>.Zero;
        bool relu = _activation.Kind == ActivationKind.Relu, none = _activation.IsNone;
        fixed (float* bias = _bias)
        {
            for (var r = 0; r < rows; r++)
            {
                float* src = c + ((long)r * ldc), dst = y + ((long)(m0 + r) * stride) + kBase + col0, bb = bias + kBase + col0;
                int j = 0;
                if (relu || none)
                {
                    for (; j + 8 <= count; j += 8)
                    {
                        var v = Vector256.Load(src + j) + Vector256.Load(bb + j);
                        (relu ? Vector256.Max(v, zero) : v).Store(dst + j);
                    }
                }

                for (; j < count; j++)
                {
                    dst[j] = _activation.Apply(src[j] + bb[j]);
                }
            }
        }
    }
}
