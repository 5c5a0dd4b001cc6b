using ILGPU;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// The fast <see cref="Im2Col"/>: a block builds the rows of TileQ consecutive output pixels (n, p, q0 .. q0 + TileQ − 1)
/// of one output row, which are TileQ·Kp contiguous bytes of the result. It first copies the input patch the tile reads,
/// R filter rows of PatchWidth = (TileQ − 1)·sw + (S − 1)·dw + 1 pixels (zeros outside the image), into shared memory
/// with coalesced byte loads; then thread (row j0, word cw) keeps the patch offsets of its 4 columns in registers and
/// writes word cw of rows j0, j0 + RowsPerPass, …, so a warp stores consecutive words (coalesced).
/// </summary>
internal static class Im2ColTiled
{
    /// <summary>Shared bytes for the input patch (R·PatchWidth·C must fit).</summary>
    public const int PatchBytes = 8192;

    /// <summary>Threads a block aims at (Words·RowsPerPass, at most 1024).</summary>
    public const int TargetThreads = 256;

    /// <summary>The tiling of a problem, or null when one output pixel's patch does not fit or a row has over 1024 words.</summary>
    public static Im2ColTiles? Plan(ConvProblem p, int columns)
    {
        int words = columns / 4;
        if (words > 1024)
        {
            return null;
        }

        // Pixels a tile: at most 64, tiles of one output row as even as possible, then halved until the patch fits.
        int tiles = (p.Q + 63) / 64;
        int tileQ = (p.Q + tiles - 1) / tiles;
        while (tileQ > 1 && PatchSize(p, tileQ) > PatchBytes)
        {
            tileQ = (tileQ + 1) / 2;
        }

        if (PatchSize(p, tileQ) > PatchBytes)
        {
            return null;
        }

        int rowsPerPass = Math.Clamp(TargetThreads / words, 1, tileQ);
        return new Im2ColTiles(ConvGeometry.From(p), words, tileQ, (p.Q + tileQ - 1) / tileQ, PatchWidth(p, tileQ), rowsPerPass);
    }

    /// <summary>The launch: one block per (n, p, tile of q), Words·RowsPerPass threads.</summary>
    public static KernelConfig Config(Im2ColTiles d) =>
        new(checked(d.G.N * d.G.P * d.TilesQ), d.Words * d.RowsPerPass);

    /// <summary>
    /// Block b = (n·P + p)·TilesQ + tile. Patch: patch[r·PW·C + u·C + c] = x[n, p·sh − ph + r·dh, q0·sw − pw + u, c]
    /// (0 outside the image). Output: y[m, t] = patch[r·PW·C + (j·sw + s·dw)·C + c] for m = (n·P + p)·Q + q0 + j and
    /// t = (r·S + s)·C + c &lt; R·S·C, else 0; four columns packed little-endian into one word.
    /// </summary>
    internal static void Kernel(ArrayView<sbyte> x, ArrayView<int> y, Im2ColTiles d)
    {
        var patch = SharedMemory.Allocate<sbyte>(PatchBytes);
        var g = d.G;
        int np = Grid.IdxX / d.TilesQ;
        int q0 = (Grid.IdxX - (np * d.TilesQ)) * d.TileQ;
        int n = np / g.P;
        int h0 = ((np - (n * g.P)) * g.StrideH) - g.PadH;
        int w0 = (q0 * g.StrideW) - g.PadW;
        int rowBytes = d.PatchWidth * g.C;
        int tid = Group.IdxX;
        int threads = Group.DimX;

        // Byte e of a patch row is pixel w0 + e/C: inside the image for lo ≤ e < hi (no division). The source address, the
        // shared index and the row are loop-carried so that the decode above stays out of the loops (see below).
        int lo = Math.Max(0, -w0) * g.C;
        int hi = (g.W - w0) * g.C;
        int h = h0;
        long rowStart = (((((long)n * g.H) + h0) * g.W) + w0) * g.C;
        long rowStep = (long)g.DilationH * g.W * g.C;
        int rowOffset = 0;
        for (int r = 0; r < g.R; r++)
        {
            bool rowInside = h >= 0 && h < g.H;
            long src = rowStart + tid;
            int dst = rowOffset + tid;
            for (int e = tid; e < rowBytes; e += threads)
            {
                patch[dst] = rowInside && e >= lo && e < hi ? x[src] : (sbyte)0;
                src += threads;
                dst += threads;
            }

            h += g.DilationH;
            rowStart += rowStep;
            rowOffset += rowBytes;
        }

        Group.Barrier();

        // The patch offsets of this thread's 4 columns and its output word index advance by a fixed step per row pass:
        // kept as loop-carried values so that the decode (divisions) stays before the loop (ILGPU sinks a loop-invariant
        // value computed from the tid into the loop body that uses it).
        int cw = tid % d.Words;
        int j0 = tid / d.Words;
        int t = cw * 4;
        int step = g.StrideW * g.C;
        int jump = d.RowsPerPass * step;
        int o0 = Offset(t, g, rowBytes) + (j0 * step);
        int o1 = Offset(t + 1, g, rowBytes) + (j0 * step);
        int o2 = Offset(t + 2, g, rowBytes) + (j0 * step);
        int o3 = Offset(t + 3, g, rowBytes) + (j0 * step);
        bool v0 = t < g.GemmK, v1 = t + 1 < g.GemmK, v2 = t + 2 < g.GemmK, v3 = t + 3 < g.GemmK;
        long word = ((((long)np * g.Q) + q0 + j0) * d.Words) + cw;
        long wordJump = (long)d.RowsPerPass * d.Words;
        int count = Math.Min(d.TileQ, g.Q - q0);
        for (int j = j0; j < count; j += d.RowsPerPass)
        {
            int b0 = v0 ? patch[o0] : 0;
            int b1 = v1 ? patch[o1] : 0;
            int b2 = v2 ? patch[o2] : 0;
            int b3 = v3 ? patch[o3] : 0;
            y[word] = PackedInt8.Pack(b0, b1, b2, b3);
            o0 += jump;
            o1 += jump;
            o2 += jump;
            o3 += jump;
            word += wordJump;
        }
    }

    // Patch offset of column t = (r·S + s)·C + c: r·PW·C + s·dw·C + c (meaningful for t < R·S·C only).
    internal static int Offset(int t, ConvGeometry g, int rowBytes)
    {
        int rs = t / g.C;
        int c = t - (rs * g.C);
        int r = rs / g.S;
        int s = rs - (r * g.S);
        return (r * rowBytes) + (s * g.DilationW * g.C) + c;
    }

    private static int PatchWidth(ConvProblem p, int tileQ) => ((tileQ - 1) * p.StrideW) + ((p.S - 1) * p.DilationW) + 1;

    private static long PatchSize(ConvProblem p, int tileQ) => (long)p.R * PatchWidth(p, tileQ) * p.C;
}

/// <summary>The tiling of an im2col launch (see <see cref="Im2ColTiled"/>).</summary>
internal readonly record struct Im2ColTiles(ConvGeometry G, int Words, int TileQ, int TilesQ, int PatchWidth, int RowsPerPass);
