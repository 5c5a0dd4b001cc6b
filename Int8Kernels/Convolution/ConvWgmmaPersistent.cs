using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Persistent Hopper implicit-GEMM convolution for short reductions (groups = 1, NHWC int8 input with C a multiple of
/// 16, KRSC weights; the limits of <see cref="ConvWgmma"/>): a block stays resident and walks many 128-pixel tiles of one
/// 128×<see cref="TileN"/> column, with
/// <list type="bullet">
/// <item>its weight tile B [K tiles][TileN][128] loaded into shared memory once (the block's whole life), not once a tile;</item>
/// <item>a ring of <see cref="Ring"/> A stages (128 gathered pixel rows × 128 bytes of K, the 128-byte swizzle wgmma reads)
/// that runs across tile boundaries: the copies of the next tile's first stages are in flight while the current tile's
/// last wgmma and its epilogue run, so the gather latency that a short K (ResNet's stem: 2 stages; 3×3 over 64 channels:
/// 5) cannot hide inside one tile is paid once a block instead of once a tile;</item>
/// <item>each thread's four gather rows (h0, w0, base offset) kept in registers and recomputed once a tile.</item>
/// </list>
/// Step j of a block is (tile j / KT, k tile j mod KT): wait for its copies (<c>cp.async.wait_group Ring − 3</c>), fence the
/// async proxy, barrier, issue the copies of step j + Ring − 2, then four <c>wgmma m64nNk32</c> (A from ring slot
/// j mod Ring, B from the resident stage) in one commit group with one group left in flight, as in
/// <see cref="WgmmaMainloop"/>. After a tile's last step the accumulators go through the staging tile
/// [128][TileN + 8] int32 (its own shared memory, so the ring keeps filling) to the epilogue.
/// Shared memory: 1 KB alignment + KT·TileN·128 (B) + Ring·16 KB (A) + 128·(TileN + 8)·4 (staging); a problem whose B
/// does not fit in 227 KB with the rest is declined.
/// </summary>
public sealed class ConvWgmmaPersistent : IConvVariant
{
    /// <summary>Most dynamic shared memory a block may opt into on sm_90 (227 KB).</summary>
    public const int MaxSharedBytes = 232448;

    /// <summary>Shared memory of a multiprocessor on sm_90 (228 KB), of which the driver keeps 1 KB a block.</summary>
    private const int SharedPerMultiprocessor = 233472;

    private const int StageABytes = WgmmaMainloop.TileM * 128;

    private readonly bool _allowCpu;
    private readonly int _blocksPerColumn;

    /// <summary>
    /// A variant of 128×<paramref name="tileN"/> tiles (64 or 128) with a ring of <paramref name="ring"/> A stages (3, 4 or
    /// 6). <paramref name="allowCpuAccelerator"/> runs it emulated on the CPU accelerator (tests only);
    /// <paramref name="blocksPerColumn"/> fixes the resident blocks a column tile (0: the multiprocessors' worth; tests
    /// force a few so that each block walks several tiles).
    /// </summary>
    public ConvWgmmaPersistent(int tileN = 64, int ring = 6, bool allowCpuAccelerator = false, int blocksPerColumn = 0)
    {
        if (tileN is not (64 or 128))
        {
            throw new ArgumentOutOfRangeException(nameof(tileN), tileN, "persistent wgmma convolution tiles are 128×64 or 128×128.");
        }

        if (ring is not (3 or 4 or 6))
        {
            throw new ArgumentOutOfRangeException(nameof(ring), ring, "rings of 3, 4 or 6 A stages.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(blocksPerColumn);
        TileN = tileN;
        Ring = ring;
        _allowCpu = allowCpuAccelerator;
        _blocksPerColumn = blocksPerColumn;
    }

    /// <summary>Output channels a block computes.</summary>
    public int TileN { get; }

    /// <summary>A stages in the ring.</summary>
    public int Ring { get; }

    /// <inheritdoc />
    public string Name => $"conv_s8_nhwc_wgmma_persistent_128x{TileN}_r{Ring}";

    /// <summary>Dynamic shared memory a block for a problem of <paramref name="kTiles"/> 128-byte k tiles.</summary>
    public int SharedBytes(int kTiles) =>
        WgmmaDescriptor.AtomBytes + (kTiles * TileN * 128) + (Ring * StageABytes) + (WgmmaMainloop.TileM * (TileN + 8) * 4);

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var limit = GemmWgmmaTn.DeviceLimit(device, _allowCpu) ?? ConvMma.Limit(device, problem, format, allowCpu: true);
        if (limit is not null)
        {
            return limit;
        }

        int bytes = SharedBytes(ConvMma.KTiles(problem));
        if (bytes > MaxSharedBytes)
        {
            return $"the resident weight tile ({ConvMma.KTiles(problem)} k tiles × {TileN} channels) with the ring and staging needs {bytes} bytes of shared memory, over {MaxSharedBytes}";
        }

        return inputOffset % 16 != 0 ? "x must start on a 16-byte boundary (16-byte cp.async copies)" : null;
    }

    /// <summary>
    /// Resident blocks a column tile: the given count, else the multiprocessors × blocks that fit one
    /// (shared memory) spread over the column tiles, at most one a row tile.
    /// </summary>
    public int BlocksPerColumn(Int8Device device, int tilesM, int tilesN, int kTiles)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_blocksPerColumn > 0)
        {
            return Math.Min(_blocksPerColumn, tilesM);
        }

        return ResidentPerColumn(device, SharedBytes(kTiles), tilesM, tilesN);
    }

    /// <summary>
    /// Blocks of <paramref name="sharedBytes"/> dynamic shared memory each that stay resident for a column tile: the
    /// multiprocessors × blocks that fit one (the driver keeps 1 KB a block) spread over <paramref name="tilesN"/>
    /// columns, at least one, at most <paramref name="tilesM"/> (one a row tile).
    /// </summary>
    internal static int ResidentPerColumn(Int8Device device, int sharedBytes, int tilesM, int tilesN)
    {
        int perSm = Math.Max(1, SharedPerMultiprocessor / (sharedBytes + 1024));
        int resident = device.Accelerator.NumMultiprocessors * perSm;
        return Math.Max(1, Math.Min(tilesM, resident / tilesN));
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        ConvMma.CheckRun(this, device, x, format, weights, problem);

        var g = ConvGeometry.From(problem);
        int kTiles = ConvMma.KTiles(problem);
        int bytes = SharedBytes(kTiles);
        bool cuda = device.IsCuda;
        int tileN = TileN, ring = Ring;
        var kernel = device.GetKernel($"conv.wgmma.persistent.{Name}.{typeof(TEpilogue).FullName}", acc => cuda
            ? PtxSm90aPass.LoadStreamKernel(acc, KernelFor<TEpilogue>(tileN, ring, ptx: true), MaxSharedBytes)
            : acc.LoadStreamKernel(KernelFor<TEpilogue>(tileN, ring, ptx: false)));

        int tilesM = (g.GemmM + WgmmaMainloop.TileM - 1) / WgmmaMainloop.TileM, tilesN = (g.K + TileN - 1) / TileN;
        int perColumn = BlocksPerColumn(device, tilesM, tilesN, kTiles);
        int blocks = perColumn * tilesN;
        var gemm = new GemmMmaTn.Args(g.GemmM, g.K, g.GemmK, 0, weights.Stride, tilesM, tilesN, kTiles);
        using var scratch = cuda ? null : device.Accelerator.Allocate1D<int>((long)blocks * WgmmaMainloop.Threads * (TileN / 2));
        kernel(
            new KernelConfig(blocks, WgmmaMainloop.Threads, SharedMemoryConfig.RequestDynamic<int>(bytes / 4)),
            GemmWgmmaTn.DeviceAddress(x),
            GemmWgmmaTn.DeviceAddress(weights.View),
            x,
            weights.View,
            scratch?.View ?? ArrayView<int>.Empty,
            new Args(new ConvMma.Args(gemm, g, kTiles), perColumn),
            epilogue);
        if (!cuda)
        {
            device.Synchronize();
        }
    }

    /// <summary>The kernel for one tile width, ring and epilogue: the PTX instructions, or their emulation.</summary>
    internal static Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, Args, TEpilogue> KernelFor<TEpilogue>(int tileN, int ring, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, ring, ptx) switch
        {
            (64, 3, true) => Kernel<PtxWgmmaN64, Ring3, TEpilogue>,
            (64, 3, false) => Kernel<EmulatedWgmmaN64, Ring3, TEpilogue>,
            (64, 4, true) => Kernel<PtxWgmmaN64, Ring4, TEpilogue>,
            (64, 4, false) => Kernel<EmulatedWgmmaN64, Ring4, TEpilogue>,
            (64, _, true) => Kernel<PtxWgmmaN64, Ring6, TEpilogue>,
            (64, _, false) => Kernel<EmulatedWgmmaN64, Ring6, TEpilogue>,
            (_, 3, true) => Kernel<PtxWgmmaN128, Ring3, TEpilogue>,
            (_, 3, false) => Kernel<EmulatedWgmmaN128, Ring3, TEpilogue>,
            (_, 4, true) => Kernel<PtxWgmmaN128, Ring4, TEpilogue>,
            (_, 4, false) => Kernel<EmulatedWgmmaN128, Ring4, TEpilogue>,
            (_, _, true) => Kernel<PtxWgmmaN128, Ring6, TEpilogue>,
            _ => Kernel<EmulatedWgmmaN128, Ring6, TEpilogue>,
        };

    /// <summary>
    /// Block b: column tile b mod TilesN, row tiles b / TilesN + i·BlocksPerColumn (i = 0, 1, …) while below TilesM.
    /// Layout from the first 1024-byte aligned shared address: B stages [KT][TileN][128] (swizzled), the A ring
    /// [Ring][128][128] (swizzled), the staging tile [128][TileN + 8] int32.
    /// </summary>
    internal static void Kernel<TOps, TRing, TEpilogue>(long xAddress, long wAddress, ArrayView<sbyte> x, ArrayView<sbyte> w, ArrayView<int> scratch, Args a, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TRing : struct, IRingDepth
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        int ring = default(TRing).Depth;
        var p = a.Conv.Gemm;
        var g = a.Conv.G;
        int tileN = ops.TileN;
        int kTiles = p.KTiles;
        uint sbase = ops.DynamicSharedBase();
        int align = WgmmaMainloop.AlignOffset(sbase);
        int tid = Group.IdxX;
        int wg = tid >> 7;
        int column = Grid.IdxX % p.TilesN;
        int first = Grid.IdxX / p.TilesN;
        int stride = a.BlocksPerColumn;
        int blockCol = column * tileN;
        int myTiles = first < p.TilesM ? ((p.TilesM - 1 - first) / stride) + 1 : 0;
        int steps = myTiles * kTiles;
        int bAt = align, ringAt = align + (kTiles * tileN * 128);
        int stagingAt = ringAt + (ring * StageABytes);

        // This thread's 16-byte copy slot in a 128-byte-row stage: row tid >> 3, chunk tid & 7 at chunk ^ (row & 7);
        // rows 32·i further are 4096·i bytes further (the same swizzle phase).
        int ldRow = tid >> 3, ldChunk = tid & 7;
        int sCopy = (ldRow * 128) + ((ldChunk ^ (ldRow & 7)) << 4);

        // B, once: stage kt of rows blockCol + ldRow + 32·i, K bytes 128·kt + 16·ldChunk, zero past N and past K.
        long bOff = ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16);
        for (int kt = 0; kt < kTiles; kt++)
        {
            int kb = GemmMmaTn.CopyBytes(p.K - (ldChunk * 16) - (128 * kt));
            for (int i = 0; i < tileN / 32; i++)
            {
                long gb = bOff + (128L * kt) + (32L * i * p.Ldb);
                ops.Copy16(smem, sbase, bAt + (kt * tileN * 128) + (i * 4096) + sCopy, w, wAddress, gb, GemmMmaTn.IfRowInside(kb, p.N - blockCol - ldRow, 32 * i));
            }
        }

        ops.CommitCopies();

        // The loader's position (tile index in this block's list, k tile) and its four rows' (hw, base offset).
        int loadTile = 0, loadKt = 0;
        int hw0, hw1, hw2, hw3, rb0, rb1, rb2, rb3;
        int loadRow = (first * WgmmaMainloop.TileM) + ldRow;
        ConvMma.RowInfo(loadRow, g, out hw0, out rb0);
        ConvMma.RowInfo(loadRow + 32, g, out hw1, out rb1);
        ConvMma.RowInfo(loadRow + 64, g, out hw2, out rb2);
        ConvMma.RowInfo(loadRow + 96, g, out hw3, out rb3);

        // Prologue: steps 0..Ring − 3 in flight, one commit group each (empty past the block's last step).
        int writeSlot = 0;
        for (int s = 0; s < ring - 2; s++)
        {
            if (loadTile < myTiles)
            {
                int at = ringAt + (writeSlot * StageABytes) + sCopy;
                CopyA(ops, smem, sbase, at, x, xAddress, g, p.K, ldChunk * 16, loadKt, hw0, hw1, hw2, hw3, rb0, rb1, rb2, rb3);
            }

            ops.CommitCopies();
            writeSlot++;
            loadKt++;
            if (loadKt == kTiles)
            {
                loadKt = 0;
                loadTile++;
                loadRow += stride * WgmmaMainloop.TileM;
                ConvMma.RowInfo(loadRow, g, out hw0, out rb0);
                ConvMma.RowInfo(loadRow + 32, g, out hw1, out rb1);
                ConvMma.RowInfo(loadRow + 64, g, out hw2, out rb2);
                ConvMma.RowInfo(loadRow + 96, g, out hw3, out rb3);
            }
        }

        ops.ZeroAccumulators(scratch);
        long descA0 = WgmmaDescriptor.Swizzle128(sbase + (uint)(ringAt + (wg * 64 * 128)));
        long descB0 = WgmmaDescriptor.Swizzle128(sbase + (uint)bAt);
        int readSlot = 0, kNow = 0, tileNow = 0;
        for (int step = 0; step < steps; step++)
        {
            // Step j's copies have landed for this thread (Ring − 3 younger groups may still fly), then for everyone; the
            // barrier also means every warpgroup's wgmma of step j − 2 has finished (wait_group 1): its slot is free.
            ops.WaitCopies(ring - 3);
            ops.FenceProxyAsync();
            Group.Barrier();
            if (loadTile < myTiles)
            {
                int at = ringAt + (writeSlot * StageABytes) + sCopy;
                CopyA(ops, smem, sbase, at, x, xAddress, g, p.K, ldChunk * 16, loadKt, hw0, hw1, hw2, hw3, rb0, rb1, rb2, rb3);
            }

            ops.CommitCopies();
            writeSlot = writeSlot == ring - 1 ? 0 : writeSlot + 1;
            loadKt++;
            if (loadKt == kTiles)
            {
                loadKt = 0;
                loadTile++;
                loadRow += stride * WgmmaMainloop.TileM;
                ConvMma.RowInfo(loadRow, g, out hw0, out rb0);
                ConvMma.RowInfo(loadRow + 32, g, out hw1, out rb1);
                ConvMma.RowInfo(loadRow + 64, g, out hw2, out rb2);
                ConvMma.RowInfo(loadRow + 96, g, out hw3, out rb3);
            }

            // Four k steps of 32 bytes: the descriptors advance 32 bytes (2 in the address field) each.
            long da = descA0 + ((long)(readSlot * StageABytes) >> 4);
            long db = descB0 + ((long)(kNow * tileN * 128) >> 4);
            ops.Fence();
            ops.Mma(smem, da, db, scratch);
            ops.Mma(smem, da + 2, db + 2, scratch);
            ops.Mma(smem, da + 4, db + 4, scratch);
            ops.Mma(smem, da + 6, db + 6, scratch);
            ops.CommitMma();
            ops.WaitMma(1);
            readSlot = readSlot == ring - 1 ? 0 : readSlot + 1;
            kNow++;
            if (kNow == kTiles)
            {
                ops.WaitMma(0);
                int blockRow = (first + (tileNow * stride)) * WgmmaMainloop.TileM;
                Finish(ops, smem, sbase, stagingAt, scratch, p, blockRow, blockCol, tid, wg, ref epilogue);
                ops.ZeroAccumulators(scratch);
                kNow = 0;
                tileNow++;
            }
        }

        ops.WaitCopies(0);
    }

    /// <summary>
    /// Copies this thread's four A chunks of k tile <paramref name="kt"/>: rows (hw_i, rb_i) of the tile, K byte
    /// kBase + 128·kt, through <see cref="ConvMma.Tap"/>, zero outside the image, past M (hw = int.MinValue) and past K.
    /// </summary>
    private static void CopyA<TOps>(
        TOps ops, ArrayView<int> smem, uint sbase, int at, ArrayView<sbyte> x, long xAddress, ConvGeometry g, int k, int kBase, int kt,
        int hw0, int hw1, int hw2, int hw3, int rb0, int rb1, int rb2, int rb3)
        where TOps : struct, IWgmmaOps
    {
        int kb = GemmMmaTn.CopyBytes(k - kBase - (128 * kt));
        ConvMma.Tap(kBase + (128 * kt), g, out int dr, out int ds, out int tapOff);
        int b0 = ConvMma.GatherBytes(hw0, dr, ds, kb, g);
        int b1 = ConvMma.GatherBytes(hw1, dr, ds, kb, g);
        int b2 = ConvMma.GatherBytes(hw2, dr, ds, kb, g);
        int b3 = ConvMma.GatherBytes(hw3, dr, ds, kb, g);
        ops.Copy16(smem, sbase, at, x, xAddress, ConvMma.GatherOffset(rb0, tapOff, b0), b0);
        ops.Copy16(smem, sbase, at + 4096, x, xAddress, ConvMma.GatherOffset(rb1, tapOff, b1), b1);
        ops.Copy16(smem, sbase, at + 8192, x, xAddress, ConvMma.GatherOffset(rb2, tapOff, b2), b2);
        ops.Copy16(smem, sbase, at + 12288, x, xAddress, ConvMma.GatherOffset(rb3, tapOff, b3), b3);
    }

    /// <summary>
    /// The tile's epilogue: accumulators into the staging tile (thread of warp w of its warpgroup, g, t owns row
    /// 64·wg + 16·w + g, column 2t), a barrier, then 4 consecutive columns a thread a pass through
    /// <see cref="GemmMmaTn.Finish{TEpilogue}(ref TEpilogue, GemmMmaTn.Args, int, int, int, int, int, int)"/>. The next
    /// staging store is at least one step (one barrier) later.
    /// </summary>
    private static void Finish<TOps, TEpilogue>(
        TOps ops, ArrayView<int> smem, uint sbase, int stagingAt, ArrayView<int> scratch, GemmMmaTn.Args p, int blockRow, int blockCol, int tid, int wg, ref TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        int pitch = ops.StagingPitchBytes;
        int lane = tid & 31, warpInGroup = (tid >> 5) & 3;
        int own = (((64 * wg) + (16 * warpInGroup) + (lane >> 2)) * pitch) + (8 * (lane & 3));
        ops.StoreAccumulators(smem, sbase + (uint)(stagingAt + own), stagingAt + own, scratch);
        Group.Barrier();
        var tile4 = smem.Cast<Int4>();
        int quadsPerRow = ops.TileN / 4;
        int passes = WgmmaMainloop.TileM * quadsPerRow / WgmmaMainloop.Threads;
        int base4 = stagingAt >> 4, pitch4 = pitch >> 4;
        int column = blockCol + (4 * (tid % quadsPerRow));
        if (column + 3 < p.N && WgmmaMainloop.Threads % quadsPerRow == 0)
        {
            // A thread's four columns are the same in every pass: their parameters are read once, not once a pass.
            int col4 = tid % quadsPerRow;
            var columns = epilogue.LoadColumns4(column);
            var operand = epilogue.Operand;
            bool hasOperand = operand.View.Length > 0;
            for (int pass = 0; pass < passes; pass++)
            {
                int row = ((pass * WgmmaMainloop.Threads) + tid) / quadsPerRow;
                if (blockRow + row < p.M)
                {
                    Int4 v = tile4[base4 + (row * pitch4) + col4];
                    epilogue.Apply4(blockRow + row, column, columns, v.X, v.Y, v.Z, v.W, hasOperand ? operand.Read4(blockRow + row, column) : 0);
                }
            }

            return;
        }

        for (int pass = 0; pass < passes; pass++)
        {
            int idx = (pass * WgmmaMainloop.Threads) + tid;
            int row = idx / quadsPerRow, col4 = idx - (row * quadsPerRow);
            Int4 v = tile4[base4 + (row * pitch4) + col4];
            GemmMmaTn.Finish(ref epilogue, p, blockRow + row, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W);
        }
    }

    /// <summary>Kernel arguments: the convolution's and the resident blocks a column tile.</summary>
    internal readonly record struct Args(ConvMma.Args Conv, int BlocksPerColumn);

    /// <summary>The ring depth as a type (a constant to the kernel: <c>cp.async.wait_group</c> takes an immediate).</summary>
    internal interface IRingDepth
    {
        /// <summary>A stages in the ring.</summary>
        int Depth { get; }
    }

    /// <summary>Three stages (one ahead: shared memory for two blocks a multiprocessor on the stem).</summary>
    internal readonly struct Ring3 : IRingDepth
    {
        /// <inheritdoc />
        public int Depth => 3;
    }

    /// <summary>Four stages.</summary>
    internal readonly struct Ring4 : IRingDepth
    {
        /// <inheritdoc />
        public int Depth => 4;
    }

    /// <summary>Six stages.</summary>
    internal readonly struct Ring6 : IRingDepth
    {
        /// <inheritdoc />
        public int Depth => 6;
    }
}
