using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// An INT8 fully connected layer, its requantize, the softmax after it and the dequantize to float in one launch (the
/// classifier tail of a CNN: TensorRT fuses it the same way). For rows n and outputs k of x [N][C] and W [K][C]:
/// <list type="number">
/// <item>acc[n][k] = Σ_c x[n][c]·W[k][c] (int32, wrapping: the same value in any order);</item>
/// <item>q[n][k] = clamp(round_half_even(f32(acc + bias[k])·m[k]), lo, 127), then lut[q + 128] when a table is given
/// (<see cref="QuantMath.Requantize"/>, the requantize epilogue of the GEMM: <see cref="RequantizeEpilogue"/>);</item>
/// <item>y[n][k] = E[max_j q[n][j] − q[n][k]] / Σ_j E[max − q[n][j]], the sum in the order of <see cref="SoftMax.Int8"/>
/// (its own row code runs here), so the bits equal the unfused FC + softmax.</item>
/// </list>
/// <para>
/// Schedule: a block owns <see cref="Rows"/> rows and <see cref="Columns"/> outputs; its 256 threads are 64 outputs × 4
/// parts of C (each part every fourth 16-byte word; int32 partial sums added in shared memory). x comes through shared
/// memory 1 KiB of each row at a time, the weights as 16-byte words laid out [C/16][K] (<see cref="Pack"/>: a warp reads
/// 512 contiguous bytes), each word feeding 8 rows × 4 dp4a. The block writes its q (int8) into the logits buffer,
/// fences, and counts itself done on its row group's counter; the last of the group's ⌈K/64⌉ blocks (the classic
/// last-block reduction) copies the group's q into shared memory through L2 (8-byte loads, <see cref="Int8L2Access"/>:
/// L1 is not coherent across multiprocessors) when they fit, 16 KiB, and the buffer is 8-byte aligned, else reads them
/// from L2 where they lie, and runs the softmax, one warp a row; then it sets the counter back to 0 for the next launch
/// (counters start at 0 and are the caller's, one per <see cref="Rows"/> rows: two launches at once must not share them).
/// </para>
/// </summary>
public static class FullyConnectedSoftMax
{
    /// <summary>Rows (images) a block computes: one warp each in the softmax.</summary>
    public const int Rows = 8;

    /// <summary>Outputs k a block computes.</summary>
    public const int Columns = 64;

    private const int Parts = 4;
    private const int Threads = Columns * Parts;
    private const int ChunkWords = 64;
    private const int StagedWords = 2048;

    /// <summary>16-byte words in a row of C bytes: ⌈C / 16⌉.</summary>
    public static int Words(int c) => (c + 15) / 16;

    /// <summary>Counters a launch of <paramref name="n"/> rows needs: ⌈N / <see cref="Rows"/>⌉ ints, zero before the first launch.</summary>
    public static int Counters(int n) => (n + Rows - 1) / Rows;

    /// <summary>
    /// Weights [K][C] (row-major int8) as the kernel reads them: 16-byte word j of row k at [j][k], bytes past C zero.
    /// </summary>
    public static Int4[] Pack(ReadOnlySpan<sbyte> weights, int k, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c);
        OpArgs.AtLeast(weights.Length, (long)k * c, nameof(weights));
        int words = Words(c);
        var packed = new Int4[(long)words * k];
        Span<byte> word = stackalloc byte[16];
        for (var row = 0; row < k; row++)
        {
            var w = weights.Slice(row * c, c);
            for (var j = 0; j < words; j++)
            {
                word.Clear();
                for (var b = 0; b < 16 && (16 * j) + b < c; b++)
                {
                    word[b] = (byte)w[(16 * j) + b];
                }

                packed[((long)j * k) + row] = System.Runtime.InteropServices.MemoryMarshal.Read<Int4>(word);
            }
        }

        return packed;
    }

    /// <summary>
    /// y [N][K] float = softmax(requantize(x·Wᵀ)) (asynchronous). <paramref name="logits"/> [N][K] receives q (the FC's
    /// int8 output); <paramref name="counters"/> holds <see cref="Counters"/>(N) zeros and is left zero.
    /// </summary>
    public static void Int8(
        Int8Device device, ArrayView<sbyte> x, ArrayView<Int4> weights, FullyConnectedRequantize requantize, ArrayView<float> expTable,
        ArrayView<sbyte> logits, ArrayView<int> counters, ArrayView<float> y, int n, int c, int k)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        OpArgs.AtLeast(x.Length, (long)n * c, nameof(x));
        OpArgs.AtLeast(weights.Length, (long)Words(c) * k, nameof(weights));
        OpArgs.AtLeast(requantize.Multiplier.Length, k, "multiplier");
        OpArgs.AtLeast(requantize.Bias.Length, k, "bias");
        OpArgs.AtLeast(expTable.Length, 256, nameof(expTable));
        OpArgs.AtLeast(logits.Length, (long)n * k, nameof(logits));
        OpArgs.AtLeast(counters.Length, Counters(n), nameof(counters));
        OpArgs.AtLeast(y.Length, (long)n * k, nameof(y));
        if (requantize.Lut.Length is not (0 or >= 256))
        {
            throw new ArgumentException("The activation table must hold 256 entries, or none.", nameof(requantize));
        }

        // The last block stages its rows' q in shared memory when 8 rows fit and 8-byte loads are aligned (8·K bytes a
        // group: every group starts 8-byte aligned when the buffer does; off CUDA any view qualifies).
        long address = OperandTile.DeviceAddress(logits);
        bool staged = (long)Rows * k <= StagedWords * 8 && (!device.IsCuda || address % 8 == 0) && ((IContiguousArrayView)logits).IndexInBytes % 8 == 0;
        var shape = new FullyConnectedSoftMaxShape(n, c, k, (k + Columns - 1) / Columns, address, staged ? 1 : 0);
        var kernel = device.GetKernel("fc_softmax_s8", a =>
            a.LoadStreamKernel<ArrayView<sbyte>, ArrayView<Int4>, FullyConnectedRequantize, ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<float>, FullyConnectedSoftMaxShape>(Kernel));
        kernel(new KernelConfig(shape.ColumnBlocks * Counters(n), Threads), x, weights, requantize, expTable, logits, counters, y, shape);
    }

    // Block b: row group g = b / ColumnBlocks (rows 8g…), outputs 64·(b mod ColumnBlocks)…; thread t: part t / 64, output t mod 64.
    internal static void Kernel(
        ArrayView<sbyte> x, ArrayView<Int4> weights, FullyConnectedRequantize rq, ArrayView<float> exp,
        ArrayView<sbyte> logits, ArrayView<int> counters, ArrayView<float> y, FullyConnectedSoftMaxShape s)
    {
        var xs = SharedMemory.Allocate<Int4>(Rows * ChunkWords);
        var partial = SharedMemory.Allocate<int>(Parts * Rows * Columns);
        var last = SharedMemory.Allocate<int>(1);
        var stagedWords = SharedMemory.Allocate<long>(StagedWords);
        int t = Group.IdxX;
        int g = Grid.IdxX / s.ColumnBlocks;
        int k0 = (Grid.IdxX - (g * s.ColumnBlocks)) * Columns;
        int row0 = g * Rows;
        int part = t / Columns;
        int k = k0 + (t - (part * Columns));
        int words = Words(s.C);
        int a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        var xw = xs.Cast<int>();
        for (int w0 = 0; w0 < words; w0 += ChunkWords)
        {
            // x rows row0…row0+7, bytes 16·w0 … of each, packed 4 to an int (zeros past C and past N).
            Group.Barrier();
            for (int i = t; i < Rows * ChunkWords * 4; i += Threads)
            {
                int r = i / (ChunkWords * 4);
                int row = row0 + r;
                long b = (16L * w0) + (4 * (i - (r * ChunkWords * 4)));
                int v = 0;
                if (row < s.N)
                {
                    long start = ((long)row * s.C) + b;
                    for (int e = 0; e < 4; e++)
                    {
                        v |= b + e < s.C ? (x[start + e] & 0xFF) << (8 * e) : 0;
                    }
                }

                xw[i] = v;
            }

            Group.Barrier();
            int chunk = IntrinsicMath.Min(ChunkWords, words - w0);
            if (k < s.K)
            {
                for (int j = part; j < chunk; j += Parts)
                {
                    var w = weights[((long)(w0 + j) * s.K) + k];
                    a0 = Dot16(xs[j], w, a0);
                    a1 = Dot16(xs[ChunkWords + j], w, a1);
                    a2 = Dot16(xs[(2 * ChunkWords) + j], w, a2);
                    a3 = Dot16(xs[(3 * ChunkWords) + j], w, a3);
                    a4 = Dot16(xs[(4 * ChunkWords) + j], w, a4);
                    a5 = Dot16(xs[(5 * ChunkWords) + j], w, a5);
                    a6 = Dot16(xs[(6 * ChunkWords) + j], w, a6);
                    a7 = Dot16(xs[(7 * ChunkWords) + j], w, a7);
                }
            }
        }

        // The four parts' partial sums [part][row][column], added in shared memory (int32: exact in any order).
        int slot = (part * Rows * Columns) + (t - (part * Columns));
        partial[slot] = a0;
        partial[slot + Columns] = a1;
        partial[slot + (2 * Columns)] = a2;
        partial[slot + (3 * Columns)] = a3;
        partial[slot + (4 * Columns)] = a4;
        partial[slot + (5 * Columns)] = a5;
        partial[slot + (6 * Columns)] = a6;
        partial[slot + (7 * Columns)] = a7;
        Group.Barrier();
        for (int i = t; i < Rows * Columns; i += Threads)
        {
            int r = i / Columns;
            int col = k0 + (i - (r * Columns));
            int row = row0 + r;
            if (row < s.N && col < s.K)
            {
                int acc = unchecked(partial[i] + partial[(Rows * Columns) + i] + partial[(2 * Rows * Columns) + i] + partial[(3 * Rows * Columns) + i]);
                int q = QuantMath.Requantize(acc, rq.Bias[col], rq.Multiplier[col], rq.Lo);
                logits[((long)row * s.K) + col] = (sbyte)(rq.Lut.Length > 0 ? rq.Lut[q + 128] : q);
            }
        }

        // Done with this group's columns: the last block of the group (all others' q visible after their fence and
        // atomic) runs the softmax.
        MemoryFence.DeviceLevel();
        Group.Barrier();
        if (t == 0)
        {
            last[0] = Atomic.Add(ref counters[g], 1) == s.ColumnBlocks - 1 ? 1 : 0;
        }

        Group.Barrier();
        if (last[0] == 0)
        {
            return;
        }

        MemoryFence.DeviceLevel();
        var l2 = new Int8L2Access(logits, s.LogitsAddress);
        long origin = (long)row0 * s.K;
        if (s.Staged != 0)
        {
            // The group's q: whole 8-byte words (four loads in flight a thread), then the < 8 bytes of the tail.
            int bytes = IntrinsicMath.Min(Rows, s.N - row0) * s.K;
            int qWords = bytes >> 3;
            long first = origin >> 3;
            for (int i = t; i < qWords; i += 4 * Threads)
            {
                long w0 = l2.Word(first + i);
                long w1 = i + Threads < qWords ? l2.Word(first + i + Threads) : 0;
                long w2 = i + (2 * Threads) < qWords ? l2.Word(first + i + (2 * Threads)) : 0;
                long w3 = i + (3 * Threads) < qWords ? l2.Word(first + i + (3 * Threads)) : 0;
                stagedWords[i] = w0;
                if (i + Threads < qWords)
                {
                    stagedWords[i + Threads] = w1;
                }

                if (i + (2 * Threads) < qWords)
                {
                    stagedWords[i + (2 * Threads)] = w2;
                }

                if (i + (3 * Threads) < qWords)
                {
                    stagedWords[i + (3 * Threads)] = w3;
                }
            }

            var stagedBytes = stagedWords.Cast<sbyte>();
            int tail = (qWords << 3) + t;
            if (tail < bytes)
            {
                stagedBytes[tail] = (sbyte)l2.X(origin + tail);
            }

            Group.Barrier();
            SoftMaxRows(new Int8ShiftedAccess(stagedBytes, origin), y, exp, s, row0, t);
        }
        else
        {
            SoftMaxRows(l2, y, exp, s, row0, t);
        }

        if (t == 0)
        {
            counters[g] = 0;
        }
    }

    // Warp w: the softmax of row row0 + w (the softmax kernels' own row code: the same sum order, the same bits).
    private static void SoftMaxRows<TAccess>(TAccess q, ArrayView<float> y, ArrayView<float> exp, FullyConnectedSoftMaxShape s, int row0, int t)
        where TAccess : struct, IInt8Access
    {
        int row = row0 + (t / 32);
        if (row >= s.N)
        {
            return;
        }

        long start = (long)row * s.K;
        if (SoftMax.LanesPerRow(s.K) > 1)
        {
            SoftMax.Int8WarpRow(q, y, exp, start, s.K);
        }
        else if (Warp.LaneIdx == 0)
        {
            SoftMax.Int8ThreadRow(q, y, exp, start, s.K);
        }
    }

    // acc + Σ of the 16 byte products of two 16-byte words.
    private static int Dot16(Int4 a, Int4 b, int acc) =>
        Dp4a.SS(a.W, b.W, Dp4a.SS(a.Z, b.Z, Dp4a.SS(a.Y, b.Y, Dp4a.SS(a.X, b.X, acc))));
}

/// <summary>The requantize of <see cref="FullyConnectedSoftMax"/>: per output k, m[k] and bias_q[k]; lower clamp; optional 256-entry table.</summary>
/// <param name="Multiplier">m[k] = s_x·s_w[k]/s_q.</param>
/// <param name="Bias">bias_q[k] in accumulator units.</param>
/// <param name="Lo">Lower clamp: 0 with a fused ReLU, else −127.</param>
/// <param name="Lut">An activation's table (index q + 128), or empty.</param>
public readonly record struct FullyConnectedRequantize(ArrayView<float> Multiplier, ArrayView<int> Bias, int Lo, ArrayView<sbyte> Lut);

/// <summary>The problem of one <see cref="FullyConnectedSoftMax"/> launch; Staged = 1 when the last block copies the group's q into shared memory first.</summary>
internal readonly record struct FullyConnectedSoftMaxShape(int N, int C, int K, int ColumnBlocks, long LogitsAddress, int Staged);
