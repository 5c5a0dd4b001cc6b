using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// im2col through a zero-padded copy of the input, for convolutions of one group without dilation (any R, S, stride,
/// padding, C): the copy xp[n][hp][wp][c] = x[n, hp − ph, wp − pw, c] (0 outside the image, Hp = (P − 1)·sh + R rows,
/// Wp = (Q − 1)·sw + S columns) holds every tap of every output pixel, so row m = (n·P + p)·Q + q of A is R contiguous
/// runs: A[m][(r·S + s)·C + c] = xp[n][p·sh + r][q·sw + s][c] for s·C + c &lt; S·C — one vector copy per run, no bounds
/// tests, no per-tap loop (the first layer's C = 1 or 3 included). The copy can carry the VNNI operand offset:
/// byte ^ 0x80 = (u8)(x + 128), padding 0x80, so the rows come out already packed as VNNI words.
/// </summary>
internal static unsafe class CpuPaddedIm2Col
{
    // Each run is copied in whole 32-byte vectors: up to 31 bytes past a run's end are read (the copy has that much
    // slack) and written (overwritten by the next run or row, which are written after it; a tile has that much slack).
    internal const int Slack = 32;

    [ThreadStatic]
    private static sbyte[]? _buffer;

    /// <summary>True when <see cref="Rows"/> applies: one group, no dilation, not a plain 1×1 (whose rows are x's rows).</summary>
    public static bool Applies(ConvProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Groups == 1 && p.DilationH == 1 && p.DilationW == 1 && !CpuIm2Col.IsIdentity(p);
    }

    /// <summary>Rows of the padded copy per image.</summary>
    public static int PaddedHeight(ConvProblem p) => ((p.P - 1) * p.StrideH) + p.R;

    /// <summary>Columns of the padded copy.</summary>
    public static int PaddedWidth(ConvProblem p) => ((p.Q - 1) * p.StrideW) + p.S;

    /// <summary>
    /// The calling thread's padded copy of x (NHWC, N = p.N) with every byte XOR <paramref name="flip"/> (0x80: the VNNI
    /// u8 offset; 0: as is), pinned and kept for the thread's next call (valid until then). Rows in parallel.
    /// </summary>
    public static sbyte* Build(sbyte* x, ConvProblem p, byte flip)
    {
        ArgumentNullException.ThrowIfNull(p);
        int hp = PaddedHeight(p), wp = PaddedWidth(p);
        long length = ((long)p.N * hp * wp * p.C) + Slack;
        if (_buffer is not { } buffer || buffer.Length < length)
        {
            // Pinned (the pinned object heap): the pointer stays valid while the workers read it.
            _buffer = buffer = GC.AllocateUninitializedArray<sbyte>((int)Math.Min(Array.MaxLength, Math.Max(length, (long)((_buffer?.Length ?? 0) * 1.5))), pinned: true);
        }

        sbyte* xp = (sbyte*)Unsafe.AsPointer(ref buffer[0]);
        var body = new PadRows { X = x, Xp = xp, P = p, Hp = hp, Wp = wp, Flip = flip };
        CpuThreads.ForRanges((long)p.N * hp, Math.Max(1, 65536 / Math.Max(1, wp * p.C)), ref body);
        return xp;
    }

    /// <summary>
    /// Rows [m0, m0 + rows) of A (row stride <paramref name="ld"/> ≥ R·S·C, the tile <see cref="Slack"/> bytes longer than
    /// rows·ld) from the padded copy <paramref name="xp"/> of <see cref="Build"/>; bytes [R·S·C, ld) of a row are left
    /// unspecified (the packed weights are zero there, so they add nothing).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(sbyte* xp, ConvProblem p, long m0, int rows, sbyte* dst, int ld)
    {
        ArgumentNullException.ThrowIfNull(p);
        int hp = PaddedHeight(p), c = p.C, run = p.S * c, r = p.R, q = p.Q, outRows = p.P;
        long rowBytes = (long)PaddedWidth(p) * c, stepW = (long)p.StrideW * c, stepH = p.StrideH * rowBytes;
        int pq = outRows * q;
        int n = (int)(m0 / pq), pix = (int)(m0 % pq), oh = pix / q, ow = pix % q;
        for (var done = 0; done < rows;)
        {
            // The pixels left in output row (n, oh) from ow: one straight run of the source pointer.
            int count = Math.Min(rows - done, q - ow);
            sbyte* src = xp + ((((long)n * hp) + ((long)oh * p.StrideH)) * rowBytes) + (ow * stepW);
            Pixels(src, dst + ((long)done * ld), count, ld, r, run, rowBytes, stepW);
            done += count;
            ow = 0;
            if (++oh == outRows)
            {
                oh = 0;
                n++;
            }
        }
    }

    // count pixels along an output row: pixel i's R runs of `run` bytes, from src + i·stepW + t·rowBytes to d + i·ld + t·run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pixels(sbyte* src, sbyte* d, int count, int ld, int r, int run, long rowBytes, long stepW)
    {
        if (run <= 4 && r == 3)
        {
            // The first layers' 3×3 over one channel: word copies, unrolled.
            for (var i = 0; i < count; i++, src += stepW, d += ld)
            {
                *(int*)d = *(int*)src;
                *(int*)(d + run) = *(int*)(src + rowBytes);
                *(int*)(d + (2 * run)) = *(int*)(src + (2 * rowBytes));
            }

            return;
        }

        for (var i = 0; i < count; i++, src += stepW, d += ld)
        {
            sbyte* s = src, o = d;
            if (run <= 8)
            {
                for (var t = 0; t < r; t++, s += rowBytes, o += run)
                {
                    *(long*)o = *(long*)s;
                }
            }
            else if (run <= 16)
            {
                for (var t = 0; t < r; t++, s += rowBytes, o += run)
                {
                    Vector128.Load(s).Store(o);
                }
            }
            else if (run <= 32)
            {
                for (var t = 0; t < r; t++, s += rowBytes, o += run)
                {
                    Vector256.Load(s).Store(o);
                }
            }
            else
            {
                for (var t = 0; t < r; t++, s += rowBytes, o += run)
                {
                    for (var j = 0; j < run; j += 32)
                    {
                        Vector256.Load(s + j).Store(o + j);
                    }
                }
            }
        }
    }

    /// <summary>Padded rows [i0, i1) of (n, hp): the image's row (every byte ^ Flip) between zero columns, or all zeros.</summary>
    private struct PadRows : ICpuRangeBody
    {
        public sbyte* X, Xp;
        public ConvProblem P;
        public int Hp, Wp;
        public byte Flip;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            var p = P;
            int c = p.C, rowBytes = Wp * c, left = p.PadW * c, inner = p.W * c;
            sbyte pad = (sbyte)Flip;
            var flip = Vector256.Create(pad);
            for (var i = i0; i < i1; i++)
            {
                int n = (int)(i / Hp), h = (int)(i % Hp) - p.PadH;
                sbyte* d = Xp + (i * rowBytes);
                if (h < 0 || h >= p.H)
                {
                    new Span<sbyte>(d, rowBytes).Fill(pad);
                    continue;
                }

                // Columns wp − pw in [0, W) are the image's; the padded row may stop before the image's right edge.
                int copy = Math.Min(inner, rowBytes - left);
                new Span<sbyte>(d, left).Fill(pad);
                sbyte* s = X + ((((long)n * p.H) + h) * inner);
                sbyte* o = d + left;
                int j = 0;
                for (; j + 32 <= copy; j += 32)
                {
                    (Vector256.Load(s + j) ^ flip).Store(o + j);
                }

                // Short rows (the first layers: 28 bytes at C = 1): 16 and 8 bytes at a time before the byte tail.
                if (j + 16 <= copy)
                {
                    (Vector128.Load(s + j) ^ flip.GetLower()).Store(o + j);
                    j += 16;
                }

                if (j + 8 <= copy)
                {
                    *(ulong*)(o + j) = *(ulong*)(s + j) ^ (0x0101010101010101UL * Flip);
                    j += 8;
                }

                for (; j < copy; j++)
                {
                    o[j] = (sbyte)(s[j] ^ pad);
                }

                new Span<sbyte>(o + copy, rowBytes - left - copy).Fill(pad);
            }
        }
    }
}
