using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// <see cref="CpuDirectConv"/> with the requantize epilogue in registers (no accumulator tile, no sink call), for the
/// float requantize of <see cref="CpuRequantizeSink"/> without a table on AVX-512: y = clamp(round_half_even(f32(acc +
/// bias[k])·m[k]), lo, 127), 16 channels a step as the sink's 16-lane code computes it (here in 256-bit operations: Store16 says why). The accumulators start at
/// init[k] = bias[k] − 128·Σ_t B[k][t] (the +128 offset of the u8 operand undone up front), so they end at acc + bias
/// exactly when |bias[k]| + K'·2^14 &lt; 2^31 (|a·b| ≤ 2^14 per product): then the int32 sum cannot overflow and the
/// sink's overflow branch never runs; otherwise <see cref="TryForward(sbyte*, ConvProblem, PackedB, int*, in CpuRequantizeSink, bool)"/> declines and the caller takes the tile path.
/// Two kernels: 16 output channels with at most 4 reduction words (the first layers: conv1 of the Fashion CNN is 3 words),
/// the weights held in registers a whole row of pixels long; and 4 pixels × 32 channels (16 accumulators) for channel
/// counts that are multiples of 32.
/// </summary>
internal static unsafe partial class CpuDirectFused
{
    /// <summary>
    /// Runs the whole convolution into the sink's int8 rows when a fused kernel applies (returns false, having done
    /// nothing, when not): <paramref name="xp"/> the padded copy, <paramref name="words"/> pins <paramref name="b"/>'s words.
    /// </summary>
    public static bool TryForward(sbyte* xp, ConvProblem p, PackedB b, int* words, in CpuRequantizeSink sink, bool pool = false) =>
        TryForward(xp, p, b, words, sink, Prepare(b, sink), pool);

    /// <summary>As above with the checks and start values of <see cref="Prepare"/> made before (once per sink's arrays).</summary>
    public static bool TryForward(sbyte* xp, ConvProblem p, PackedB b, int* words, in CpuRequantizeSink sink, Epilogue epilogue, bool pool = false)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(epilogue);
        int n = b.N;
        if (!epilogue.Applies || (pool && !epilogue.PoolApplies))
        {
            return false;
        }

        int wpr = b.K / 4;
        long m = (long)p.N * p.P * p.Q;
        fixed (int* init = epilogue.Init)
        fixed (float* mult = sink.MultiplierArray)
        {
            var body = new RowItems
            {
                Xp = xp,
                P = p,
                Words = words,
                Wpr = wpr,
                RunWords = CpuDirectConv.RunWords(p),
                RowBytes = (long)CpuPaddedIm2Col.PaddedWidth(p) * p.C,
                Init = init,
                Mult = mult,
                Lo = sink.Lo,
                Y = sink.Pointer,
                Stride = sink.Stride,
                Small = n == 16,
                Pool = pool,
            };

            // Output rows (n, oh), or pooled rows (n, ph), in contiguous ranges, one item each: 4 a thread when the MACs
            // pay for a hand-off.
            long rows = (long)p.N * (pool ? p.P / 2 : p.P);
            body.Rows = rows;
            body.Pieces = (int)Math.Min(rows, CpuThreads.Max > 1 && m * b.K * n >= CpuThreads.SerialWork ? 4L * CpuThreads.Max : 1);
            CpuThreads.For(body.Pieces, m * b.K * n, ref body);
        }

        return true;
    }

    /// <summary>
    /// What <see cref="TryForward(sbyte*, ConvProblem, PackedB, int*, in CpuRequantizeSink, Epilogue, bool)"/> needs of
    /// a sink, found once: whether the kernels apply (<see cref="Applies"/>, <see cref="PoolApplies"/>) and the start
    /// values init[k] = bias[k] − 128·Σ B[k] (wrapping; the sum it starts is exact, see Applies).
    /// </summary>
    public static Epilogue Prepare(PackedB b, in CpuRequantizeSink sink)
    {
        ArgumentNullException.ThrowIfNull(b);
        int n = b.N;
        bool applies = Applies(b.K, n, sink);
        var init = new int[applies ? n : 0];
        for (var k = 0; k < init.Length; k++)
        {
            init[k] = unchecked(sink.BiasArray[k] - (b.ColumnSums[k] << 7));
        }

        return new Epilogue(sink.MultiplierArray, sink.BiasArray, sink.Fusable, applies, applies && PoolApplies(n, sink), init);
    }

    /// <summary>The result of <see cref="Prepare"/> for a sink's multiplier and bias arrays (valid while they are unchanged).</summary>
    internal sealed class Epilogue(float[] multiplier, int[] bias, bool fusable, bool applies, bool poolApplies, int[] init)
    {
        /// <summary>The fused kernels apply.</summary>
        public bool Applies { get; } = applies;

        /// <summary>The pooled kernels apply too.</summary>
        public bool PoolApplies { get; } = poolApplies;

        /// <summary>init[k] = bias[k] − 128·Σ B[k].</summary>
        public int[] Init { get; } = init;

        /// <summary>True when this was prepared for <paramref name="sink"/>'s arrays (the same instances).</summary>
        public bool IsFor(in CpuRequantizeSink sink) =>
            ReferenceEquals(sink.MultiplierArray, multiplier) && ReferenceEquals(sink.BiasArray, bias) && sink.Fusable == fusable;
    }

    /// <summary>
    /// True when a fused kernel computes <paramref name="n"/> channels over <paramref name="taps"/> (K', a multiple of 4)
    /// for this sink: its float 16-lane epilogue, 16 channels over ≤ 4 words or a multiple of 32 channels, and no
    /// int32 overflow possible: |bias[k]| + K'·2^14 &lt; 2^31 for every channel.
    /// </summary>
    public static bool Applies(int taps, int n, in CpuRequantizeSink sink)
    {
        if (!sink.Fusable || !Avx512F.IsSupported || n > 4096 || !((n == 16 && taps <= 16) || n % 32 == 0))
        {
            return false;
        }

        long bound = (long)taps * 16384;
        var bias = sink.BiasArray;
        for (var k = 0; k < n; k++)
        {
            if (Math.Abs((long)bias[k]) + bound >= int.MaxValue)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when a 2×2 stride-2 max pool can be taken before the requantize: every multiplier ≥ 0, so the requantize
    /// is non-decreasing in the sum and max(requantize(s_i)) = requantize(max s_i).
    /// </summary>
    public static bool PoolApplies(int n, in CpuRequantizeSink sink)
    {
        var m = sink.MultiplierArray;
        for (var k = 0; k < n; k++)
        {
            if (!(m[k] >= 0))
            {
                return false;
            }
        }

        return true;
    }

    private struct RowItems : ICpuForBody
    {
        public long Rows;
        public int Pieces;
        public sbyte* Xp;
        public ConvProblem P;
        public int* Words;
        public int Wpr, RunWords, Lo, Stride;
        public long RowBytes;
        public int* Init;
        public float* Mult;
        public sbyte* Y;
        public bool Small, Pool;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int item)
        {
            long i0 = Rows * item / Pieces, i1 = Rows * (item + 1) / Pieces;
            var p = P;
            int hp = CpuPaddedIm2Col.PaddedHeight(p), q = p.Q;
            long stepW = (long)p.StrideW * p.C;
            if (Pool)
            {
                Pooled(i0, i1, hp, stepW);
                return;
            }

            if (Small)
            {
                for (var i = i0; i < i1; i++)
                {
                    long n = i / p.P, oh = i % p.P;
                    sbyte* a = Xp + (((n * hp) + (oh * p.StrideH)) * RowBytes);
                    Small16(a, q, stepW, RowBytes, RunWords, Wpr, Words, Init, Mult, Lo, Y + (i * q * Stride), Stride, 0);
                }

                return;
            }

            // Tiles of 4 pixels along the flattened output rows [i0, i1) (a tile may span two rows): each pixel's run start
            // xp[n][oh·sh][ow·sw][0], advanced pixel by pixel (a division per output row, none per pixel); the pixels padding
            // the last tile repeat the last one. Chunks of 64 tiles, each 32-channel block of weights over the whole chunk
            // (the block, 4·R·W·32 bytes, stays in L2 while the chunk's pixels stream past).
            var chunk = default(Chunk);
            long row = i0, rowBase = Base(i0, hp), t = i0 * q;
            int ow = 0;
            while (row < i1)
            {
                long* offsets = chunk.Offsets + (4 * chunk.Tiles);
                int valid = 0;
                for (var j = 0; j < 4; j++)
                {
                    if (row >= i1)
                    {
                        offsets[j] = offsets[j - 1];
                        continue;
                    }

                    offsets[j] = rowBase + (ow * stepW);
                    valid++;
                    if (++ow == q)
                    {
                        ow = 0;
                        row++;
                        rowBase = row < i1 ? Base(row, hp) : 0;
                    }
                }

                chunk.Add(t, valid);
                t += valid;
                if (chunk.Tiles == Chunk.Capacity || row >= i1)
                {
                    Flush(ref chunk);
                }
            }
        }

        // Pooled rows [i0, i1) of i = n·(P/2) + ph: windows of output pixels (2ph + dy, 2pw + dx), one 4-pixel tile each.
        private readonly void Pooled(long i0, long i1, int hp, long stepW)
        {
            var p = P;
            int pp = p.P / 2, pq = p.Q / 2;
            long down = p.StrideH * RowBytes;
            var chunk = default(Chunk);
            for (var i = i0; i < i1; i++)
            {
                long top = (((i / pp) * hp) + (2 * (i % pp) * p.StrideH)) * RowBytes;
                if (Small)
                {
                    Small16(Xp + top, pq, stepW, RowBytes, RunWords, Wpr, Words, Init, Mult, Lo, Y + (i * pq * Stride), Stride, down);
                    continue;
                }

                for (var pw = 0; pw < pq; pw++)
                {
                    long* offsets = chunk.Offsets + (4 * chunk.Tiles);
                    offsets[0] = top + (2 * pw * stepW);
                    offsets[1] = offsets[0] + stepW;
                    offsets[2] = offsets[0] + down;
                    offsets[3] = offsets[1] + down;
                    chunk.Add((i * pq) + pw, -1);
                    if (chunk.Tiles == Chunk.Capacity)
                    {
                        Flush(ref chunk);
                    }
                }
            }

            if (chunk.Tiles > 0)
            {
                Flush(ref chunk);
            }
        }

        // Every 32-channel block over the chunk's tiles (the block outer: its weights are read once a chunk).
        private readonly void Flush(ref Chunk chunk)
        {
            for (var k0 = 0; k0 < P.K; k0 += 32)
            {
                int* b = Words + ((long)(k0 / 8) * Wpr * 8);
                for (var i = 0; i < chunk.Tiles; i++)
                {
                    Vnni4x32(Xp, chunk.Offsets + (4 * i), P.R, RunWords, RowBytes, b, (long)Wpr * 8, Init + k0, Mult + k0, Lo, Y + (chunk.Outputs[i] * Stride) + k0, Stride, chunk.Valid[i]);
                }
            }

            chunk.Tiles = 0;
        }

        // Output row i = n·P + oh starts at padded row n·Hp + oh·sh.
        private readonly long Base(long i, int hp) => (((i / P.P) * hp) + ((i % P.P) * P.StrideH)) * RowBytes;
    }

    // Up to 64 tiles (on the stack): 4 run offsets, the first output pixel and the valid count (−1: a pooling window) of each.
    private struct Chunk
    {
        public const int Capacity = 64;
        public fixed long OffsetData[4 * Capacity];
        public fixed long OutputData[Capacity];
        public fixed int ValidData[Capacity];
        public int Tiles;

        public long* Offsets => (long*)Unsafe.AsPointer(ref OffsetData[0]);

        public long* Outputs => (long*)Unsafe.AsPointer(ref OutputData[0]);

        public int* Valid => (int*)Unsafe.AsPointer(ref ValidData[0]);

        public void Add(long output, int valid)
        {
            OutputData[Tiles] = output;
            ValidData[Tiles] = valid;
            Tiles++;
        }
    }

    // 4 pixels × 32 channels: 16 accumulators from init (the JIT gives AvxVnni's accumulating operand ymm0-15 only),
    // R runs of W words; the epilogue of the first `valid` pixels (−1: the 4 pixels are a pooling window, one output).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni4x32(sbyte* xp, long* offsets, int r, int runWords, long rowBytes, int* b, long stride, int* init, float* mult, int lo, sbyte* y, int ystride, int valid)
    {
        var i0 = Vector256.Load(init);
        var i1 = Vector256.Load(init + 8);
        var i2 = Vector256.Load(init + 16);
        var i3 = Vector256.Load(init + 24);
        Vector256<int> c00 = i0, c01 = i1, c02 = i2, c03 = i3, c10 = i0, c11 = i1, c12 = i2, c13 = i3;
        Vector256<int> c20 = i0, c21 = i1, c22 = i2, c23 = i3, c30 = i0, c31 = i1, c32 = i2, c33 = i3;
        int* a0 = (int*)(xp + offsets[0]), a1 = (int*)(xp + offsets[1]), a2 = (int*)(xp + offsets[2]), a3 = (int*)(xp + offsets[3]);
        int* b1 = b + stride, b2 = b + (2 * stride), b3 = b + (3 * stride);
        for (var t = 0; t < r; t++)
        {
            for (var j = 0; j < runWords; j++, b += 8, b1 += 8, b2 += 8, b3 += 8)
            {
                var v0 = Avx.LoadVector256(b).AsSByte();
                var v1 = Avx.LoadVector256(b1).AsSByte();
                var v2 = Avx.LoadVector256(b2).AsSByte();
                var v3 = Avx.LoadVector256(b3).AsSByte();
                var x = Vector256.Create(a0[j]).AsByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, v0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, v1);
                c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, v2);
                c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, v3);
                x = Vector256.Create(a1[j]).AsByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, v0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, v1);
                c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, v2);
                c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, v3);
                x = Vector256.Create(a2[j]).AsByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, v0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, v1);
                c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, v2);
                c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, v3);
                x = Vector256.Create(a3[j]).AsByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, v0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, v1);
                c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, v2);
                c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, v3);
            }

            a0 = (int*)((sbyte*)a0 + rowBytes);
            a1 = (int*)((sbyte*)a1 + rowBytes);
            a2 = (int*)((sbyte*)a2 + rowBytes);
            a3 = (int*)((sbyte*)a3 + rowBytes);
        }

        var m0 = Vector256.Load(mult);
        var m1 = Vector256.Load(mult + 8);
        var m2 = Vector256.Load(mult + 16);
        var m3 = Vector256.Load(mult + 24);
        var lov = Vector256.Create((float)lo);
        var hiv = Vector256.Create(127f);
        if (valid < 0)
        {
            // The 4 pixels are one 2×2 pooling window: the max of the sums, requantized once (see PoolApplies).
            Store16(Vector256.Max(Vector256.Max(c00, c10), Vector256.Max(c20, c30)), Vector256.Max(Vector256.Max(c01, c11), Vector256.Max(c21, c31)), m0, m1, lov, hiv, y);
            Store16(Vector256.Max(Vector256.Max(c02, c12), Vector256.Max(c22, c32)), Vector256.Max(Vector256.Max(c03, c13), Vector256.Max(c23, c33)), m2, m3, lov, hiv, y + 16);
            return;
        }

        Store16(c00, c01, m0, m1, lov, hiv, y);
        Store16(c02, c03, m2, m3, lov, hiv, y + 16);
        if (valid > 1)
        {
            Store16(c10, c11, m0, m1, lov, hiv, y + ystride);
            Store16(c12, c13, m2, m3, lov, hiv, y + ystride + 16);
        }
        if (valid > 2)
        {
            Store16(c20, c21, m0, m1, lov, hiv, y + (2 * ystride));
            Store16(c22, c23, m2, m3, lov, hiv, y + (2 * ystride) + 16);
        }
        if (valid > 3)
        {
            Store16(c30, c31, m0, m1, lov, hiv, y + (3 * ystride));
            Store16(c32, c33, m2, m3, lov, hiv, y + (3 * ystride) + 16);
        }
    }
}
