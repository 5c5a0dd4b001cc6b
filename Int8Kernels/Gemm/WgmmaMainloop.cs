using ILGPU;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// How a wgmma kernel fills one pipeline stage: the A rows (GEMM rows or gathered convolution pixels) and the B rows of
/// K bytes [128·kt, 128·kt + 128), 16-byte chunks at chunk c ^ (row &amp; 7) of 128-byte rows (the 128-byte swizzle).
/// A struct built once per thread (its fields hold the thread's precomputed offsets).
/// </summary>
internal interface IWgmmaTileLoader
{
    /// <summary>Issues this thread's copies of stage <paramref name="kt"/> into the ring slot at byte <paramref name="slotOffset"/>.</summary>
    void CopyStage<TOps>(TOps ops, ArrayView<int> smem, uint sbase, int slotOffset, int kt)
        where TOps : struct, IWgmmaOps;
}

/// <summary>
/// The main loop and epilogue every wgmma kernel shares (<see cref="GemmWgmmaTn"/>, <c>ConvWgmma</c>): a block is two
/// warpgroups (256 threads) computing a 128×N tile, warpgroup w the rows 64w..64w+63. K advances 128 bytes per stage
/// through a ring of S stages; each stage is 4 wgmma k steps of 32 bytes issued back to back and one commit group; the
/// warpgroups keep one group in flight (<c>wgmma.wait_group 1</c>) across the next stage's barrier, and the copies run
/// S − 2 stages ahead. Then the accumulators are staged through shared memory as [128][N + 8] int32 and each thread
/// finishes 4 consecutive columns at a time (<see cref="GemmMmaTn.Finish{TEpilogue}(ref TEpilogue, GemmMmaTn.Args, int, int, int, int, int, int)"/>),
/// with the epilogue's int8 operand tile, if any, copied behind the staging tile (<see cref="OperandTile"/>).
/// </summary>
internal static class WgmmaMainloop
{
    /// <summary>Rows of C a block computes (two warpgroups of 64).</summary>
    public const int TileM = 128;

    /// <summary>Threads a block.</summary>
    public const int Threads = 256;

    /// <summary>Bytes of one stage for N columns: (128 + N) rows of 128 bytes.</summary>
    public static int StageBytes(int tileN) => (TileM + tileN) * 128;

    /// <summary>
    /// Offset from the dynamic shared base to the first 1024-byte aligned shared address (the swizzle atoms need it):
    /// ((base + 1023) &amp; ~1023) − base.
    /// </summary>
    public static int AlignOffset(uint sbase) => (int)(((sbase + 1023u) & ~1023u) - sbase);

    /// <summary>
    /// Byte offset (from the dynamic base) of thread <paramref name="tid"/>'s 16-byte copy slot in row tid &gt;&gt; 3 of a
    /// stage: chunk tid &amp; 7 stored at chunk (tid &amp; 7) ^ (row &amp; 7).
    /// </summary>
    public static int CopySlot(int align, int tid)
    {
        int row = tid >> 3, chunk = tid & 7;
        return align + (row * 128) + ((chunk ^ (row & 7)) << 4);
    }

    /// <summary>Runs the main loop over p.KTiles stages and the epilogue of the tile at (blockRow, blockCol).</summary>
    public static void Run<TOps, TLoader, TEpilogue>(
        TOps ops, ArrayView<int> smem, uint sbase, int align, TLoader loader, ArrayView<int> scratch, GemmMmaTn.Args p,
        int blockRow, int blockCol, ref TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TLoader : struct, IWgmmaTileLoader
        where TEpilogue : struct, IGemmEpilogue
    {
        int tileN = ops.TileN;
        int stages = ops.Stages;
        int stageBytes = StageBytes(tileN);
        uint ring = sbase + (uint)align;
        int tid = Group.IdxX;
        int wg = tid >> 7;

        // Prologue: stages 0..S − 3 in flight, one commit group each (empty groups past K keep the count uniform).
        for (int s = 0; s < stages - 2; s++)
        {
            if (s < p.KTiles)
            {
                loader.CopyStage(ops, smem, sbase, s * stageBytes, s);
            }

            ops.CommitCopies();
        }

        ops.ZeroAccumulators(scratch);
        long descA0 = WgmmaDescriptor.Swizzle128(ring + (uint)(wg * 64 * 128));
        long descB0 = WgmmaDescriptor.Swizzle128(ring + (uint)(TileM * 128));
        int readSlot = 0, writeSlot = stages - 2;
        for (int kt = 0; kt < p.KTiles; kt++)
        {
            // Stage kt has landed for this thread (S − 3 younger groups may still fly), then for everyone; the barrier
            // also means every warpgroup's wgmma of stage kt − 2 has finished (wait_group 1 below): its slot is free.
            ops.WaitCopies(stages - 3);
            ops.FenceProxyAsync();
            Group.Barrier();
            if (kt + stages - 2 < p.KTiles)
            {
                loader.CopyStage(ops, smem, sbase, writeSlot * stageBytes, kt + stages - 2);
            }

            ops.CommitCopies();

            // Four k steps of 32 bytes: the descriptors advance 32 bytes (2 in the address field) each.
            long slotDesc = (long)(readSlot * stageBytes) >> 4;
            long da = descA0 + slotDesc, db = descB0 + slotDesc;
            ops.Fence();
            ops.Mma(smem, da, db, scratch);
            ops.Mma(smem, da + 2, db + 2, scratch);
            ops.Mma(smem, da + 4, db + 4, scratch);
            ops.Mma(smem, da + 6, db + 6, scratch);
            ops.CommitMma();
            ops.WaitMma(1);
            readSlot = readSlot == stages - 1 ? 0 : readSlot + 1;
            writeSlot = writeSlot == stages - 1 ? 0 : writeSlot + 1;
        }

        ops.WaitMma(0);
        ops.WaitCopies(0);
        Group.Barrier();
        Epilogue(ops, smem, sbase, align, scratch, p, blockRow, blockCol, ref epilogue);
    }

    /// <summary>
    /// The epilogue every wgmma kernel shares, once the main loop's wgmma and copies have finished and the block has
    /// met at a barrier (the ring is free): the accumulators staged through shared memory as [128][N + 8] int32, then
    /// each thread finishes 4 consecutive columns at a time. The staging tile starts <paramref name="staging"/> bytes past
    /// the dynamic shared base (16-byte aligned): the ring's start (<c>align</c>) for a block that computes one tile, a
    /// region of its own for a persistent block whose ring keeps loading the next tile meanwhile.
    /// </summary>
    public static void Epilogue<TOps, TEpilogue>(
        TOps ops, ArrayView<int> smem, uint sbase, int staging, ArrayView<int> scratch, GemmMmaTn.Args p, int blockRow, int blockCol, ref TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        int tileN = ops.TileN;
        uint stagingAddress = sbase + (uint)staging;
        int tid = Group.IdxX;
        int wg = tid >> 7;

        // Staging tile [128][N + 8] int32: thread (warp w of its warpgroup, g, t) owns row
        // 64·wg + 16·w + g, column 2t, and its registers fan out from there.
        int pitch = ops.StagingPitchBytes;
        int lane = tid & 31, warpInGroup = (tid >> 5) & 3;
        int own = (((64 * wg) + (16 * warpInGroup) + (lane >> 2)) * pitch) + (8 * (lane & 3));

        // The epilogue's int8 operand (a residual's skip), if any: its tile [128][N] behind the staging tile at byte
        // staging + 128·pitch, copied before the staging stores so that they hide its latency (OperandTile).
        int at = staging + (TileM * pitch);
        var operand = epilogue.Operand;
        bool prefetch = OperandTile.Prefetches(operand);
        if (prefetch)
        {
            OperandTile.Copy(smem, sbase, at, operand, p, blockRow, blockCol, TileM, tileN, tid, Threads);
        }

        ops.StoreAccumulators(smem, stagingAddress + (uint)own, staging + own, scratch);
        if (prefetch)
        {
            ops.WaitCopies(0);
        }

        Group.Barrier();

        var tile4 = smem.Cast<Int4>();
        int quadsPerRow = tileN / 4;
        int passes = TileM * quadsPerRow / Threads;
        int base4 = staging >> 4, pitch4 = pitch >> 4;
        int column = blockCol + (4 * (tid % quadsPerRow));
        if (column + 3 < p.N && Threads % quadsPerRow == 0)
        {
            // Threads is a multiple of N / 4, so a thread's four columns are the same in every pass: their parameters
            // are read once (IGemmEpilogue.LoadColumns4), not once a pass.
            int col4 = tid % quadsPerRow;
            var columns = epilogue.LoadColumns4(column);
            bool hasOperand = operand.View.Length > 0;
            for (int pass = 0; pass < passes; pass++)
            {
                int row = ((pass * Threads) + tid) / quadsPerRow;
                if (blockRow + row < p.M)
                {
                    Int4 v = tile4[base4 + (row * pitch4) + col4];
                    int packed = prefetch ? smem[(at >> 2) + (row * quadsPerRow) + col4] : hasOperand ? operand.Read4(blockRow + row, column) : 0;
                    epilogue.Apply4(blockRow + row, column, columns, v.X, v.Y, v.Z, v.W, packed);
                }
            }

            return;
        }

        for (int pass = 0; pass < passes; pass++)
        {
            int idx = (pass * Threads) + tid;
            int row = idx / quadsPerRow, col4 = idx - (row * quadsPerRow);
            Int4 v = tile4[base4 + (row * pitch4) + col4];
            if (prefetch)
            {
                // Operand bytes (row, 4·col4 .. +3): int at / 4 + row·N / 4 + col4 of the operand tile.
                GemmMmaTn.Finish(ref epilogue, p, blockRow + row, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W, smem[(at >> 2) + (row * quadsPerRow) + col4]);
            }
            else
            {
                GemmMmaTn.Finish(ref epilogue, p, blockRow + row, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W);
            }
        }
    }

    /// <summary>
    /// Copies this thread's B chunks of stage kt: rows (tid &gt;&gt; 3) + 32·i of the N-row B tile, K-contiguous at stride
    /// <paramref name="bStep"/> / 32, zero-filled past N (<paramref name="bRows"/>) and past K (<paramref name="kb"/>).
    /// </summary>
    public static void CopyB<TOps>(TOps ops, ArrayView<int> smem, uint sbase, int at, ArrayView<sbyte> b, long bAddress, long gb, long bStep, int bRows, int kb)
        where TOps : struct, IWgmmaOps
    {
        int bAt = at + (TileM * 128);
        for (int i = 0; i < ops.TileN / 32; i++)
        {
            ops.Copy16(smem, sbase, bAt + (i * 4096), b, bAddress, gb, GemmMmaTn.IfRowInside(kb, bRows, 32 * i));
            gb += bStep;
        }
    }
}

/// <summary>The GEMM's loader: A rows blockRow + (tid &gt;&gt; 3) + 32·i of a row-major [M][lda] matrix, B likewise.</summary>
internal readonly struct GemmWgmmaLoader(
    ArrayView<sbyte> a, long aAddress, long aOff, long aStep, int aRows,
    ArrayView<sbyte> b, long bAddress, long bOff, long bStep, int bRows, int kLeft, int sCopy) : IWgmmaTileLoader
{
    /// <inheritdoc />
    public void CopyStage<TOps>(TOps ops, ArrayView<int> smem, uint sbase, int slotOffset, int kt)
        where TOps : struct, IWgmmaOps
    {
        long kOff = 128L * kt;
        int kb = GemmMmaTn.CopyBytes(kLeft - (128 * kt));
        int at = slotOffset + sCopy;
        long ga = aOff + kOff;
        for (int i = 0; i < WgmmaMainloop.TileM / 32; i++)
        {
            ops.Copy16(smem, sbase, at + (i * 4096), a, aAddress, ga, GemmMmaTn.IfRowInside(kb, aRows, 32 * i));
            ga += aStep;
        }

        WgmmaMainloop.CopyB(ops, smem, sbase, at, b, bAddress, bOff + kOff, bStep, bRows, kb);
    }
}
