using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Hopper tensor-core GEMM C[M,N] = A[M,K]·B[N,K]ᵀ (int8, both K-contiguous, int32 wrapping accumulation) with
/// <c>wgmma.mma_async.sync.aligned.m64nNk32.s32.s8.s8</c> (sm_90a), finished by a fused epilogue. A block is two
/// warpgroups (256 threads) computing a 128×N tile, warpgroup w the rows 64w..64w+63; K advances 128 bytes per stage
/// through a ring of S stages filled by 16-byte cp.async copies in the 128-byte-swizzled K-major layout wgmma reads
/// (<see cref="WgmmaDescriptor"/>; the same chunk c ^ (row &amp; 7) placement as the mma.sync kernels, on 1024-byte
/// aligned atoms). Each stage is 4 wgmma k steps of 32 bytes issued back to back, one commit group per stage; the
/// warpgroups keep one group in flight (<c>wgmma.wait_group 1</c>) while the next stage's barrier passes, and the
/// copies run S − 2 stages ahead. The tile is staged through shared memory for the epilogue (4 consecutive columns a
/// thread, <see cref="GemmMmaTn.Finish{TEpilogue}"/>). K is arbitrary (zero-filled copies past K), M and N edges masked.
/// Needs compute capability 9.0, lda and ldb multiples of 16 and 16-byte aligned operands; the PTX is loaded through
/// <see cref="PtxSm90aPass"/>. On the CPU accelerator (tests only) the same kernel runs the emulated instructions.
/// </summary>
public sealed class GemmWgmmaTn : IGemmVariant
{
    /// <summary>Rows of C a block computes (two warpgroups of 64).</summary>
    public const int TileM = 128;

    /// <summary>Threads a block.</summary>
    public const int Threads = 256;

    private readonly bool _allowCpu;

    /// <summary>
    /// Creates the variant for block tiles of 128×<paramref name="tileN"/> (256: 4 stages; 128: 6 stages);
    /// <paramref name="allowCpuAccelerator"/> lets it run emulated on the CPU accelerator (tests only).
    /// </summary>
    public GemmWgmmaTn(int tileN = 256, bool allowCpuAccelerator = false)
    {
        if (tileN is not (256 or 128))
        {
            throw new ArgumentOutOfRangeException(nameof(tileN), tileN, "wgmma GEMM tiles are 128×256 or 128×128.");
        }

        TileN = tileN;
        _allowCpu = allowCpuAccelerator;
    }

    /// <summary>Columns of C a block computes.</summary>
    public int TileN { get; }

    /// <summary>Pipeline stages of 128 bytes of K.</summary>
    public int Stages => TileN == 256 ? default(PtxWgmmaN256).Stages : default(PtxWgmmaN128).Stages;

    /// <inheritdoc />
    public string Name => $"gemm_s8s8s32_tn_wgmma_128x{TileN}x128_s{Stages}";

    /// <summary>Bytes of one pipeline stage: (128 + N) rows of 128 bytes.</summary>
    public int StageBytes => (TileM + TileN) * 128;

    /// <summary>Dynamic shared memory a block: the ring (or the staging tile, if larger) plus 1 KB to align it to 1024 bytes.</summary>
    public int SharedBytes => Math.Max(Stages * StageBytes, TileM * (TileN + 8) * 4) + WgmmaDescriptor.AtomBytes;

    /// <summary>
    /// True when the wgmma variants should be preferred: a CUDA device of compute capability 9.x (the only one whose
    /// PTX JIT takes sm_90a).
    /// </summary>
    public static bool Supported(Int8Device device) =>
        device?.Accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda && cuda.Architecture.Major == 9;

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, GemmProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsCuda)
        {
            return _allowCpu ? Alignment(problem) : "wgmma variant: needs a CUDA device of compute capability 9.0 (sm_90a)";
        }

        if (!Supported(device))
        {
            var arch = ((ILGPU.Runtime.Cuda.CudaAccelerator)device.Accelerator).Architecture;
            return $"wgmma needs sm_90a (compute capability 9.0); this device is sm_{arch.Major}{arch.Minor}";
        }

        return Alignment(problem);
    }

    /// <inheritdoc />
    public string? Declines(Int8Device device, GemmProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (TileN != 256 || !device.IsCuda)
        {
            return null;
        }

        long tiles = (long)((problem.M + TileM - 1) / TileM) * ((problem.N + TileN - 1) / TileN);
        int sms = device.Accelerator.NumMultiprocessors;
        return tiles < sms
            ? $"{tiles} tiles of {TileM}×{TileN} leave some of the {sms} multiprocessors idle: a smaller tile fills the device better"
            : null;
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(device);
        var reason = CanImplement(device, problem);
        if (reason is not null)
        {
            throw new NotSupportedException($"{Name} cannot run {problem}: {reason}");
        }

        if (((IContiguousArrayView)a).IndexInBytes % 16 != 0 || ((IContiguousArrayView)b).IndexInBytes % 16 != 0)
        {
            throw new ArgumentException($"{Name} needs operands that start on a 16-byte boundary.", nameof(a));
        }

        int bytes = SharedBytes;
        bool cuda = device.IsCuda;
        var kernel = device.GetKernel($"gemm.wgmma.{Name}.{typeof(TEpilogue).FullName}", acc => cuda
            ? PtxSm90aPass.LoadStreamKernel(acc, KernelFor<TEpilogue>(TileN, ptx: true), bytes)
            : acc.LoadStreamKernel(KernelFor<TEpilogue>(TileN, ptx: false)));

        int tilesM = (problem.M + TileM - 1) / TileM, tilesN = (problem.N + TileN - 1) / TileN;
        int blocks = tilesM * tilesN;
        var args = new GemmMmaTn.Args(problem.M, problem.N, problem.K, problem.Lda, problem.Ldb, tilesM, tilesN, (problem.K + 127) / 128);

        // The emulation keeps each thread's N/2 accumulators in a scratch buffer; the PTX keeps them in registers.
        using var scratch = cuda ? null : device.Accelerator.Allocate1D<int>((long)blocks * Threads * (TileN / 2));
        kernel(
            new KernelConfig(blocks, Threads, SharedMemoryConfig.RequestDynamic<int>(bytes / 4)),
            DeviceAddress(a),
            DeviceAddress(b),
            a,
            b,
            scratch?.View ?? ArrayView<int>.Empty,
            args,
            epilogue);
        if (!cuda)
        {
            device.Synchronize();
        }
    }

    /// <summary>The kernel for one tile width and epilogue: the PTX instructions, or their emulation.</summary>
    internal static Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, GemmMmaTn.Args, TEpilogue> KernelFor<TEpilogue>(int tileN, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, ptx) switch
        {
            (256, true) => Kernel<PtxWgmmaN256, TEpilogue>,
            (256, false) => Kernel<EmulatedWgmmaN256, TEpilogue>,
            (_, true) => Kernel<PtxWgmmaN128, TEpilogue>,
            _ => Kernel<EmulatedWgmmaN128, TEpilogue>,
        };

    private static string? Alignment(GemmProblem problem) =>
        problem.Lda % 16 != 0 || problem.Ldb % 16 != 0
            ? $"lda ({problem.Lda}) and ldb ({problem.Ldb}) must be multiples of 16 bytes for 16-byte cp.async"
            : null;

    private static long DeviceAddress(ArrayView<sbyte> view) =>
        ((IArrayView)view).Buffer.NativePtr.ToInt64() + ((IContiguousArrayView)view).IndexInBytes;

    /// <summary>
    /// One 128×N tile of C. Shared memory (from the first 1024-byte aligned byte): S stages of [A: 128 rows][B: N rows]
    /// × 128 bytes, then (after the main loop) the staging tile [128][N + 8] int32 over the same bytes.
    /// Thread tid copies 16-byte chunk (tid &amp; 7) of rows (tid &gt;&gt; 3) + 32·i; warpgroup wg = tid &gt;&gt; 7 multiplies
    /// A rows 64·wg.. by all N rows of B.
    /// </summary>
    internal static void Kernel<TOps, TEpilogue>(long aAddress, long bAddress, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<int> scratch, GemmMmaTn.Args p, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        int tileN = ops.TileN;
        int stages = ops.Stages;
        int stageBytes = (TileM + tileN) * 128;
        uint sbase = ops.DynamicSharedBase();
        // Offset from the dynamic base to the first 1024-byte aligned shared address (the swizzle atoms need it).
        int align = (int)(((sbase + 1023u) & ~1023u) - sbase);
        uint ring = sbase + (uint)align;
        int tid = Group.IdxX;
        int wg = tid >> 7;
        GemmMmaTn.TileOf(Grid.IdxX, p, out int tileM, out int tileNIdx);
        int blockRow = tileM * TileM, blockCol = tileNIdx * tileN;

        int ldRow = tid >> 3, ldChunk = tid & 7;
        int sCopy = align + (ldRow * 128) + ((ldChunk ^ (ldRow & 7)) << 4);
        int aRows = p.M - blockRow - ldRow, bRows = p.N - blockCol - ldRow;
        long aOff = ((long)(blockRow + ldRow) * p.Lda) + (ldChunk * 16);
        long bOff = ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16);
        long aStep = 32L * p.Lda, bStep = 32L * p.Ldb;
        int kLeft = p.K - (ldChunk * 16);

        // Prologue: stages 0..S − 3 in flight, one commit group each (empty groups past K keep the count uniform).
        for (int s = 0; s < stages - 2; s++)
        {
            if (s < p.KTiles)
            {
                CopyStage(ops, smem, sbase, s * stageBytes, sCopy, a, aAddress, aOff, aStep, aRows, b, bAddress, bOff, bStep, bRows, kLeft, s, tileN);
            }

            ops.CommitCopies();
        }

        ops.ZeroAccumulators(scratch);
        long descA0 = WgmmaDescriptor.Swizzle128(ring + (uint)(wg * 64 * 128));
        long descB0 = WgmmaDescriptor.Swizzle128(ring + (uint)(TileM * 128));
        int readSlot = 0, writeSlot = stages - 2;
        for (int kt = 0; kt < p.KTiles; kt++)
        {
            // Stage kt has landed for this thread (S − 3 younger groups may still fly), then for everyone; the
            // barrier also means every warpgroup's wgmma of stage kt − 2 has finished (wait_group 1 below), so its
            // slot can be refilled.
            ops.WaitCopies(stages - 3);
            ops.FenceProxyAsync();
            Group.Barrier();
            if (kt + stages - 2 < p.KTiles)
            {
                CopyStage(ops, smem, sbase, writeSlot * stageBytes, sCopy, a, aAddress, aOff, aStep, aRows, b, bAddress, bOff, bStep, bRows, kLeft, kt + stages - 2, tileN);
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

        // Staging tile [128][N + 8] int32 from the aligned base: thread (warp w of its warpgroup, g, t) owns row
        // 64·wg + 16·w + g, column 2t, and its registers fan out from there.
        int pitch = ops.StagingPitchBytes;
        int lane = tid & 31, warpInGroup = (tid >> 5) & 3;
        int own = (((64 * wg) + (16 * warpInGroup) + (lane >> 2)) * pitch) + (8 * (lane & 3));
        ops.StoreAccumulators(smem, ring + (uint)own, align + own, scratch);
        Group.Barrier();

        var tile4 = smem.Cast<Int4>();
        int quadsPerRow = tileN / 4;
        int passes = TileM * quadsPerRow / Threads;
        int base4 = align >> 4, pitch4 = pitch >> 4;
        for (int pass = 0; pass < passes; pass++)
        {
            int idx = (pass * Threads) + tid;
            int row = idx / quadsPerRow, col4 = idx - (row * quadsPerRow);
            Int4 v = tile4[base4 + (row * pitch4) + col4];
            GemmMmaTn.Finish(ref epilogue, p, blockRow + row, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W);
        }
    }

    // Copies stage kt (K bytes [128·kt, 128·kt + 128)) into the slot at byte slotOffset: 4 A rows and N/32 B rows a thread.
    private static void CopyStage<TOps>(
        TOps ops, ArrayView<int> smem, uint sbase, int slotOffset, int sCopy,
        ArrayView<sbyte> a, long aAddress, long aOff, long aStep, int aRows,
        ArrayView<sbyte> b, long bAddress, long bOff, long bStep, int bRows, int kLeft, int kt, int tileN)
        where TOps : struct, IWgmmaOps
    {
        long kOff = 128L * kt;
        int kb = GemmMmaTn.CopyBytes(kLeft - (128 * kt));
        int at = slotOffset + sCopy;
        long ga = aOff + kOff;
        for (int i = 0; i < TileM / 32; i++)
        {
            ops.Copy16(smem, sbase, at + (i * 4096), a, aAddress, ga, GemmMmaTn.IfRowInside(kb, aRows, 32 * i));
            ga += aStep;
        }

        long gb = bOff + kOff;
        int bAt = at + (TileM * 128);
        for (int i = 0; i < tileN / 32; i++)
        {
            ops.Copy16(smem, sbase, bAt + (i * 4096), b, bAddress, gb, GemmMmaTn.IfRowInside(kb, bRows, 32 * i));
            gb += bStep;
        }
    }
}
