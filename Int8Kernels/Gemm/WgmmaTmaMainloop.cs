using ILGPU;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// The wgmma main loop fed by the copy engine (<see cref="ITmaOps"/>) instead of per-thread cp.async: the block's two
/// warpgroups compute a 128×N tile as in <see cref="WgmmaMainloop"/>, over a ring of S stages of 128 bytes of K whose
/// A box (128 rows) and B box (N rows) thread 0 asks of the copy engine, 128-byte swizzled, out-of-range rows and K
/// bytes read as 0. Each slot has a "full" mbarrier (the copy engine's bytes have landed: one arrival with
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
    public static void Run<TOps, TTma, TEpilogue>(
        TOps ops, TTma tma, ArrayView<int> smem, uint sbase, int align, TmaOperand a, TmaOperand b, ArrayView<int> scratch,
        GemmMmaTn.Args p, int blockRow, int blockCol, ref TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TTma : struct, ITmaOps
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
        if (tid == 0)
        {
            for (int s = 0; s < stages; s++)
            {
                tma.Init(bars + (uint)(8 * s), 1);
                tma.Init(bars + (uint)(8 * (stages + s)), Warps);
            }
        }

        tma.FenceInit();
        if (tid == 0)
        {
            for (int s = 0; s < stages; s++)
            {
                if (s < p.KTiles)
                {
                    Request(tma, smem, ring, align, a, b, s * stageBytes, bars + (uint)(8 * s), s, blockRow, blockCol, tileN, stageBytes);
                }
            }
        }

        ops.ZeroAccumulators(scratch);
        long descA0 = WgmmaDescriptor.Swizzle128(ring + (uint)(wg * 64 * 128));
        long descB0 = WgmmaDescriptor.Swizzle128(ring + (uint)(WgmmaMainloop.TileM * 128));
        int slot = 0, round = 0;
        for (int kt = 0; kt < p.KTiles; kt++)
        {
            tma.WaitFull(bars + (uint)(8 * slot), round & 1);

            // Four k steps of 32 bytes: the descriptors advance 32 bytes (2 in the address field) each.
            long slotDesc = (long)(slot * stageBytes) >> 4;
            long da = descA0 + slotDesc, db = descB0 + slotDesc;
            ops.Fence();
            ops.Mma(smem, da, db, scratch);
            ops.Mma(smem, da + 2, db + 2, scratch);
            ops.Mma(smem, da + 4, db + 4, scratch);
            ops.Mma(smem, da + 6, db + 6, scratch);
            ops.CommitMma();
            ops.WaitMma(1);
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
                    Request(tma, smem, ring, align, a, b, prev * stageBytes, bars + (uint)(8 * prev), next, blockRow, blockCol, tileN, stageBytes);
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

    // Stage kt into the slot at byte slotOffset of the ring: A rows blockRow.. (128), then B rows blockCol.. (N), K bytes
    // 128·kt.., both completing on the slot's full barrier, which first learns the stage's byte count.
    private static void Request<TTma>(
        TTma tma, ArrayView<int> smem, uint ring, int align, TmaOperand a, TmaOperand b, int slotOffset, uint full, int kt,
        int blockRow, int blockCol, int tileN, int stageBytes)
        where TTma : struct, ITmaOps
    {
        int bAt = slotOffset + (WgmmaMainloop.TileM * 128);
        tma.ExpectBytes(full, stageBytes);
        tma.Load(smem, ring + (uint)slotOffset, align + slotOffset, a, 128 * kt, blockRow, WgmmaMainloop.TileM, full);
        tma.Load(smem, ring + (uint)bAt, align + bAt, b, 128 * kt, blockCol, tileN, full);
    }
}
