using ILGPU;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// What a TMA-fed wgmma kernel loads into one stage (a struct built once per block): the A rows (GEMM rows or the
/// convolution's im2col pixels) and the B rows of K bytes [128·kt, 128·kt + 128) as 128 / <see cref="ChunkBytes"/>
/// chunks, chunk j of A (128 rows × ChunkBytes) at stage byte j·128·ChunkBytes and of B (N rows) at 128·128 +
/// j·N·ChunkBytes, each swizzled as wide as it is.
/// </summary>
internal interface ITmaStageSource
{
    /// <summary>Bytes of K a box row holds: 128 (one chunk a stage) or 64 (two).</summary>
    int ChunkBytes { get; }

    /// <summary>Asks the copy engine for stage <paramref name="kt"/> into the slot at byte <paramref name="slotOffset"/> of the ring, completing on <paramref name="full"/>.</summary>
    void Request<TTma>(TTma tma, ArrayView<int> smem, uint ring, int align, int slotOffset, uint full, int kt)
        where TTma : struct, ITmaOps;
}

/// <summary>The stage sources of a persistent block's tiles (tile index → its source), for <see cref="WgmmaTmaMainloop.RunPersistent"/>.</summary>
internal interface ITmaTileSources<TSource>
    where TSource : struct, ITmaStageSource
{
    /// <summary>The source of tile <paramref name="tile"/> (row-major over the GEMM's tiles, as <see cref="GemmMmaTn.TileOf"/>).</summary>
    TSource For(int tile);
}

/// <summary>The GEMM's stage: the A box of 128 rows at blockRow and the B box of N rows at blockCol, 128 bytes of K.</summary>
internal readonly struct GemmTmaSource(TmaOperand a, TmaOperand b, int blockRow, int blockCol, int tileN) : ITmaStageSource
{
    /// <inheritdoc />
    public int ChunkBytes => 128;

    /// <inheritdoc />
    public void Request<TTma>(TTma tma, ArrayView<int> smem, uint ring, int align, int slotOffset, uint full, int kt)
        where TTma : struct, ITmaOps
    {
        int bAt = slotOffset + (WgmmaMainloop.TileM * 128);
        tma.ExpectBytes(full, WgmmaMainloop.StageBytes(tileN));
        tma.Load(smem, ring + (uint)slotOffset, align + slotOffset, a, 128 * kt, blockRow, WgmmaMainloop.TileM, full);
        tma.Load(smem, ring + (uint)bAt, align + bAt, b, 128 * kt, blockCol, tileN, full);
    }
}

/// <summary>
/// The wgmma main loop fed by the copy engine (<see cref="ITmaOps"/>) instead of per-thread cp.async: the block's two
/// warpgroups compute a 128×N tile as in <see cref="WgmmaMainloop"/>, over a ring of S stages of 128 bytes of K whose
/// A and B boxes thread 0 asks of the copy engine (<see cref="ITmaStageSource"/>), out-of-range rows and K bytes read
/// as 0; with 64-byte chunks the k steps 2 and 3 read the second chunk through 64-byte-swizzle descriptors. Each slot has a "full" mbarrier (the copy engine's bytes have landed: one arrival with
/// expect_tx of the stage's bytes) and an "empty" one (each of the 8 warps has released it: 8 arrivals).
/// <para>Schedule: the prologue asks for all S stages; at step kt every thread waits for stage kt's full barrier
/// (phase kt / S), issues its four wgmma k steps and keeps one commit group in flight (<c>wait_group 1</c>), which
/// means stage kt − 1's wgmma have finished: each warp releases that slot, and thread 0 waits until all 8 warps have
/// (phase (kt − 1) / S) and asks for stage kt − 1 + S into it. So S stages are always requested ahead of the tensor
/// cores, no block barrier runs in the main loop, and the loads cost one thread two instructions a stage (the
/// cp.async loop had every thread issue (128 + N)·8 / 256 copies with their address arithmetic and a block barrier).</para>
/// Then the block meets once and finishes through <see cref="WgmmaMainloop.Epilogue"/>. Shared memory: the ring, then
/// the 2·S barriers (8 bytes each).
/// </summary>
internal static class WgmmaTmaMainloop
{
    /// <summary>Warps of a block that release each stage.</summary>
    public const int Warps = WgmmaMainloop.Threads / 32;

    /// <summary>Bytes of the 2·S mbarriers behind the ring.</summary>
    public static int BarrierBytes(int stages) => 16 * stages;

    /// <summary>Runs the main loop over p.KTiles stages and the epilogue of the tile at (blockRow, blockCol).</summary>
    public static void Run<TOps, TTma, TSource, TEpilogue>(
        TOps ops, TTma tma, ArrayView<int> smem, uint sbase, int align, TSource source, ArrayView<int> scratch,
        GemmMmaTn.Args p, int blockRow, int blockCol, ref TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TTma : struct, ITmaOps
        where TSource : struct, ITmaStageSource
        where TEpilogue : struct, IGemmEpilogue
    {
        int tileN = ops.TileN;
        int stages = ops.Stages;
        int stageBytes = WgmmaMainloop.StageBytes(tileN);
        uint ring = sbase + (uint)align;

        // full[s] at bars + 8·s, empty[s] at bars + 8·(S + s).
        uint bars = ring + (uint)(stages * stageBytes);
        int tid = Group.IdxX;
        int wg = tid >> 7;
        InitBarriers(tma, bars, stages, tid);
        if (tid == 0)
        {
            for (int s = 0; s < stages; s++)
            {
                if (s < p.KTiles)
                {
                    source.Request(tma, smem, ring, align, s * stageBytes, bars + (uint)(8 * s), s);
                }
            }
        }

        ops.ZeroAccumulators(scratch);
        var desc = new StageDescriptors(source.ChunkBytes, ring, wg, tileN);
        int slot = 0, round = 0;
        for (int kt = 0; kt < p.KTiles; kt++)
        {
            tma.WaitFull(bars + (uint)(8 * slot), round & 1);

            desc.MmaStage(ops, smem, scratch, slot * stageBytes);
            if (kt > 0)
            {
                // Stage kt − 1's wgmma are done: release its slot; thread 0 refills it with stage kt − 1 + S.
                int prev = slot == 0 ? stages - 1 : slot - 1;
                int prevRound = slot == 0 ? round - 1 : round;
                uint empty = bars + (uint)(8 * (stages + prev));
                tma.Release(empty);
                int next = kt - 1 + stages;
                if (tid == 0 && next < p.KTiles)
                {
                    tma.WaitEmpty(empty, prevRound & 1);
                    source.Request(tma, smem, ring, align, prev * stageBytes, bars + (uint)(8 * prev), next);
                }
            }

            if (++slot == stages)
            {
                slot = 0;
                round++;
            }
        }

        ops.WaitMma(0);
        Group.Barrier();
        WgmmaMainloop.Epilogue(ops, smem, sbase, align, scratch, p, blockRow, blockCol, ref epilogue);
    }

    /// <summary>
    /// The persistent form: block b computes tiles b, b + G, b + 2G, … (G blocks) through one ring whose stages run on
    /// across tiles: global stage g of the block is stage g mod KTiles of its (g / KTiles)-th tile, in slot g mod S, its
    /// barriers in phase (g / S) mod 2. Thread 0 asks for stage g + S as soon as every warp has released stage g, so when
    /// a tile's last stage is consumed the next tile's first S stages are already on their way, and they land while the
    /// block runs the tile's epilogue, whose staging tile lives at <paramref name="staging"/> (outside the ring).
    /// </summary>
    public static void RunPersistent<TOps, TTma, TSource, TTiles, TEpilogue>(
        TOps ops, TTma tma, ArrayView<int> smem, uint sbase, int align, int staging, TTiles tiles, ArrayView<int> scratch,
        GemmMmaTn.Args p, ref TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TTma : struct, ITmaOps
        where TSource : struct, ITmaStageSource
        where TTiles : struct, ITmaTileSources<TSource>
        where TEpilogue : struct, IGemmEpilogue
    {
        int tileN = ops.TileN;
        int stages = ops.Stages;
        int stageBytes = WgmmaMainloop.StageBytes(tileN);
        uint ring = sbase + (uint)align;
        uint bars = ring + (uint)(stages * stageBytes);
        int tid = Group.IdxX;
        int wg = tid >> 7;
        int grid = Grid.DimX, first = Grid.IdxX;
        int totalTiles = p.TilesM * p.TilesN;
        int myTiles = first < totalTiles ? ((totalTiles - 1 - first) / grid) + 1 : 0;
        int total = myTiles * p.KTiles;
        InitBarriers(tma, bars, stages, tid);
        if (tid == 0)
        {
            for (int g = 0; g < stages && g < total; g++)
            {
                RequestGlobal<TTma, TSource, TTiles>(tma, smem, ring, align, tiles, g, first, grid, p.KTiles, stages, stageBytes, bars);
            }
        }

        var desc = new StageDescriptors(tiles.For(first).ChunkBytes, ring, wg, tileN);
        int used = 0;
        for (int i = 0; i < myTiles; i++)
        {
            ops.ZeroAccumulators(scratch);
            for (int kt = 0; kt < p.KTiles; kt++)
            {
                int slot = used % stages;
                tma.WaitFull(bars + (uint)(8 * slot), (used / stages) & 1);
                desc.MmaStage(ops, smem, scratch, slot * stageBytes);
                if (kt > 0)
                {
                    ReleaseAndRefill<TTma, TSource, TTiles>(tma, smem, ring, align, tiles, used - 1, total, first, grid, p.KTiles, stages, stageBytes, bars, tid);
                }

                used++;
            }

            // The tile's last stage: its wgmma done, its slot released and refilled with the next tile's stage.
            ops.WaitMma(0);
            ReleaseAndRefill<TTma, TSource, TTiles>(tma, smem, ring, align, tiles, used - 1, total, first, grid, p.KTiles, stages, stageBytes, bars, tid);
            Group.Barrier();
            GemmMmaTn.TileOf(first + (i * grid), p, out int tileM, out int tileNIdx);
            WgmmaMainloop.Epilogue(ops, smem, sbase, staging, scratch, p, tileM * WgmmaMainloop.TileM, tileNIdx * tileN, ref epilogue);
        }
    }

    // Thread 0 sets up full[s] (one arrival: the producer's expect_tx) and empty[s] (one arrival a warp) for every slot,
    // then every thread fences and meets the others.
    private static void InitBarriers<TTma>(TTma tma, uint bars, int stages, int tid)
        where TTma : struct, ITmaOps
    {
        if (tid == 0)
        {
            for (int s = 0; s < stages; s++)
            {
                tma.Init(bars + (uint)(8 * s), 1);
                tma.Init(bars + (uint)(8 * (stages + s)), Warps);
            }
        }

        tma.FenceInit();
    }

    // Every warp releases global stage g's slot; thread 0 waits for all of them and asks for stage g + S into it.
    private static void ReleaseAndRefill<TTma, TSource, TTiles>(
        TTma tma, ArrayView<int> smem, uint ring, int align, TTiles tiles, int g, int total, int first, int grid, int kTiles,
        int stages, int stageBytes, uint bars, int tid)
        where TTma : struct, ITmaOps
        where TSource : struct, ITmaStageSource
        where TTiles : struct, ITmaTileSources<TSource>
    {
        int slot = g % stages;
        uint empty = bars + (uint)(8 * (stages + slot));
        tma.Release(empty);
        int next = g + stages;
        if (tid == 0 && next < total)
        {
            tma.WaitEmpty(empty, (g / stages) & 1);
            RequestGlobal<TTma, TSource, TTiles>(tma, smem, ring, align, tiles, next, first, grid, kTiles, stages, stageBytes, bars);
        }
    }

    // Global stage g of the block into slot g mod S (its full barrier): stage g mod KTiles of the block's tile
    // first + (g / KTiles)·grid.
    private static void RequestGlobal<TTma, TSource, TTiles>(
        TTma tma, ArrayView<int> smem, uint ring, int align, TTiles tiles, int g, int first, int grid, int kTiles, int stages, int stageBytes, uint bars)
        where TTma : struct, ITmaOps
        where TSource : struct, ITmaStageSource
        where TTiles : struct, ITmaTileSources<TSource>
    {
        int i = g / kTiles, slot = g % stages;
        tiles.For(first + (i * grid)).Request(tma, smem, ring, align, slot * stageBytes, bars + (uint)(8 * slot), g - (i * kTiles));
    }
}

/// <summary>
/// The wgmma descriptors of a TMA-fed block's stages, computed once: warpgroup wg's A rows and the B rows at slot 0 of
/// the ring, for K chunks of <c>kw</c> bytes (128: one 128-byte-swizzled chunk a stage; 64: two 64-byte-swizzled ones).
/// </summary>
internal readonly struct StageDescriptors
{
    private readonly long _a0, _b0, _a2, _b2;

    public StageDescriptors(int kw, uint ring, int wg, int tileN)
    {
        _a0 = WgmmaDescriptor.ForRows(kw, ring + (uint)(wg * 64 * kw));
        _b0 = WgmmaDescriptor.ForRows(kw, ring + (uint)(WgmmaMainloop.TileM * 128));

        // k steps 2 and 3 start 64 bytes into a 128-byte row (4 in the address field) or in the second 64-byte chunk.
        _a2 = kw == 128 ? 4 : (WgmmaMainloop.TileM * 64) >> 4;
        _b2 = kw == 128 ? 4 : (tileN * 64) >> 4;
    }

    /// <summary>
    /// The stage at byte <paramref name="slotBytes"/> of the ring: four k steps of 32 bytes (2 in the descriptors' address
    /// field), one commit group, one group left in flight.
    /// </summary>
    public void MmaStage<TOps>(TOps ops, ArrayView<int> smem, ArrayView<int> scratch, int slotBytes)
        where TOps : struct, IWgmmaOps
    {
        long slot = (long)slotBytes >> 4;
        long da = _a0 + slot, db = _b0 + slot;
        ops.Fence();
        ops.Mma(smem, da, db, scratch);
        ops.Mma(smem, da + 2, db + 2, scratch);
        ops.Mma(smem, da + _a2, db + _b2, scratch);
        ops.Mma(smem, da + _a2 + 2, db + _b2 + 2, scratch);
        ops.CommitMma();
        ops.WaitMma(1);
    }
}
