using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Hopper tensor-core GEMM C[M,N] = A[M,K]·B[N,K]ᵀ (int8, both K-contiguous, int32 wrapping accumulation) with
/// <c>wgmma.mma_async.sync.aligned.m64nNk32.s32.s8.s8</c> (sm_90a), finished by a fused epilogue: blocks of two
/// warpgroups computing 128×N tiles (N = 256 with 4 stages or 128 with 6), the pipeline of <see cref="WgmmaMainloop"/>
/// (16-byte cp.async copies into the 128-byte-swizzled K-major layout wgmma reads, <see cref="WgmmaDescriptor"/>).
/// K is arbitrary (zero-filled copies past K), M and N edges masked. Needs compute capability 9.0, lda and ldb
/// multiples of 16 and 16-byte aligned operands; the PTX is loaded through <see cref="PtxSm90aPass"/>. On the CPU
/// accelerator (tests only) the same kernel runs the emulated instructions.
/// </summary>
public sealed class GemmWgmmaTn : IGemmVariant
{
    /// <summary>Rows of C a block computes (two warpgroups of 64).</summary>
    public const int TileM = WgmmaMainloop.TileM;

    /// <summary>Threads a block.</summary>
    public const int Threads = WgmmaMainloop.Threads;

    private readonly bool _allowCpu;

    /// <summary>
    /// Creates the variant for block tiles of 128×<paramref name="tileN"/> (256: 4 stages; 128: 6 stages);
    /// <paramref name="allowCpuAccelerator"/> lets it run emulated on the CPU accelerator (tests only); the copy engine
    /// fills the stages where <paramref name="tma"/> (<see cref="WgmmaTmaMainloop"/>: tensor maps, mbarriers, no block
    /// barrier in the main loop), per-thread cp.async otherwise (<see cref="WgmmaMainloop"/>).
    /// </summary>
    public GemmWgmmaTn(int tileN = 256, bool allowCpuAccelerator = false, bool tma = false)
    {
        if (tileN is not (256 or 128))
        {
            throw new ArgumentOutOfRangeException(nameof(tileN), tileN, "wgmma GEMM tiles are 128×256 or 128×128.");
        }

        TileN = tileN;
        _allowCpu = allowCpuAccelerator;
        Tma = tma;
    }

    /// <summary>True when the copy engine fills the stages (<see cref="WgmmaTmaMainloop"/>).</summary>
    public bool Tma { get; }

    /// <summary>Columns of C a block computes.</summary>
    public int TileN { get; }

    /// <summary>Pipeline stages of 128 bytes of K.</summary>
    public int Stages => StagesFor(TileN);

    /// <inheritdoc />
    public string Name => $"gemm_s8s8s32_tn_wgmma{(Tma ? "_tma" : string.Empty)}_128x{TileN}x128_s{Stages}";

    /// <summary>Bytes of one pipeline stage: (128 + N) rows of 128 bytes.</summary>
    public int StageBytes => WgmmaMainloop.StageBytes(TileN);

    /// <summary>
    /// Dynamic shared memory a block: the ring, or (if larger) the staging tile [TileM][TileN + 8] int32 with the
    /// epilogue operand's tile [TileM][TileN] bytes behind it (<see cref="OperandTile"/>), plus 1 KB to align it to 1024 bytes.
    /// </summary>
    public int SharedBytes => SharedBytesFor(TileN, Tma);

    /// <summary>
    /// Dynamic shared memory of a 128×<paramref name="tileN"/> wgmma GEMM block: the ring or the epilogue's staging and
    /// operand tiles, whichever is larger, the TMA feed's barriers behind the ring, and 1 KB to align the ring.
    /// </summary>
    internal static int SharedBytesFor(int tileN, bool tma)
    {
        int stages = StagesFor(tileN), ring = stages * WgmmaMainloop.StageBytes(tileN);
        int epilogue = TileM * (((tileN + 8) * 4) + tileN);

        // The barriers sit right behind the ring, so the epilogue (which reuses the ring) must not reach them.
        return tma && epilogue > ring
            ? throw new InvalidOperationException($"wgmma TMA GEMM 128×{tileN}: the epilogue's {epilogue} bytes would overwrite the barriers behind the {ring}-byte ring.")
            : Math.Max(ring, epilogue) + (tma ? WgmmaTmaMainloop.BarrierBytes(stages) : 0) + WgmmaDescriptor.AtomBytes;
    }

    /// <summary>
    /// True when the wgmma variants should be preferred: a CUDA device of compute capability 9.x (the only one whose
    /// PTX JIT takes sm_90a).
    /// </summary>
    public static bool Supported(Int8Device device) =>
        device?.Accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda && cuda.Architecture.Major == 9;

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, GemmProblem problem, GemmOperands? operands = null) =>
        HardLimit(device, problem)
        ?? (operands is { } o && !o.StartAligned(16) ? "A and B must start on a 16-byte boundary (16-byte cp.async)" : null);

    // What the kernel needs to run at all.
    private string? HardLimit(Int8Device device, GemmProblem problem) => DeviceLimit(device, _allowCpu) ?? Alignment(problem);

    /// <summary>
    /// Why a wgmma kernel (GEMM or convolution, int8 or FP16) cannot run on <paramref name="device"/>, or null: a CUDA
    /// device of compute capability 9.x, or the CPU accelerator's emulation where <paramref name="allowCpu"/>.
    /// </summary>
    internal static string? DeviceLimit(Int8Device device, bool allowCpu)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsCuda)
        {
            return allowCpu ? null : "wgmma variant: needs a CUDA device of compute capability 9.0 (sm_90a)";
        }

        if (!Supported(device))
        {
            var arch = ((ILGPU.Runtime.Cuda.CudaAccelerator)device.Accelerator).Architecture;
            return $"wgmma needs sm_90a (compute capability 9.0); this device is sm_{arch.Major}{arch.Minor}";
        }

        return null;
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
        int tilesM = (problem.M + TileM - 1) / TileM, tilesN = (problem.N + TileN - 1) / TileN;
        int blocks = tilesM * tilesN;
        var args = new GemmMmaTn.Args(problem.M, problem.N, problem.K, problem.Lda, problem.Ldb, tilesM, tilesN, (problem.K + 127) / 128);

        // The emulation keeps each thread's N/2 accumulators in a scratch buffer; the PTX keeps them in registers.
        using var scratch = cuda ? null : device.Accelerator.Allocate1D<int>((long)blocks * Threads * (TileN / 2));
        if (Tma)
        {
            var (ta, tb) = TmaOperands(device, a, b, args, TileN);
            var tmaKernel = device.GetKernel($"gemm.wgmma.{Name}.{typeof(TEpilogue).FullName}", acc => cuda
                ? PtxSm90aPass.LoadStreamKernel(acc, TmaKernelFor<TEpilogue>(TileN, ptx: true), bytes)
                : acc.LoadStreamKernel(TmaKernelFor<TEpilogue>(TileN, ptx: false)));
            tmaKernel(new KernelConfig(blocks, Threads, SharedMemoryConfig.RequestDynamic<int>(bytes / 4)), ta, tb, scratch?.View ?? ArrayView<int>.Empty, args, epilogue);
            if (!cuda)
            {
                device.Synchronize();
            }

            return;
        }

        var kernel = device.GetKernel($"gemm.wgmma.{Name}.{typeof(TEpilogue).FullName}", acc => cuda
            ? PtxSm90aPass.LoadStreamKernel(acc, KernelFor<TEpilogue>(TileN, ptx: true), bytes)
            : acc.LoadStreamKernel(KernelFor<TEpilogue>(TileN, ptx: false)));
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

    /// <summary>The kernel fed by the copy engine, for one tile width and epilogue (<see cref="WgmmaTmaMainloop"/>).</summary>
    internal static Action<TmaOperand, TmaOperand, ArrayView<int>, GemmMmaTn.Args, TEpilogue> TmaKernelFor<TEpilogue>(int tileN, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, ptx) switch
        {
            (256, true) => TmaKernel<PtxWgmmaN256, PtxTma, TEpilogue>,
            (256, false) => TmaKernel<EmulatedWgmmaN256, EmulatedTma, TEpilogue>,
            (_, true) => TmaKernel<PtxWgmmaN128, PtxTma, TEpilogue>,
            _ => TmaKernel<EmulatedWgmmaN128, EmulatedTma, TEpilogue>,
        };

    /// <summary>
    /// A and B as the copy engine reads them (args in bytes: K, lda, ldb): [M][K] at stride lda in boxes of 128 rows,
    /// [N][K] at stride ldb in boxes of N rows; their tensor maps on CUDA (<see cref="TensorMaps"/>), none on the CPU.
    /// </summary>
    internal static (TmaOperand A, TmaOperand B) TmaOperands(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmMmaTn.Args args, int tileN)
    {
        long mapA = 0, mapB = 0;
        if (device.IsCuda)
        {
            var maps = TensorMaps.Of(device);
            mapA = maps.Map(DeviceAddress(a), args.M, args.K, args.Lda, TileM);
            mapB = maps.Map(DeviceAddress(b), args.N, args.K, args.Ldb, tileN);
        }

        return (new TmaOperand(a, mapA, args.M, args.K, args.Lda), new TmaOperand(b, mapB, args.N, args.K, args.Ldb));
    }

    /// <summary>One 128×N tile of C through <see cref="WgmmaTmaMainloop"/>.</summary>
    internal static void TmaKernel<TOps, TTma, TEpilogue>(TmaOperand a, TmaOperand b, ArrayView<int> scratch, GemmMmaTn.Args p, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TTma : struct, ITmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        uint sbase = ops.DynamicSharedBase();
        int align = WgmmaMainloop.AlignOffset(sbase);
        GemmMmaTn.TileOf(Grid.IdxX, p, out int tileM, out int tileNIdx);
        int blockRow = tileM * TileM, blockCol = tileNIdx * ops.TileN;
        var source = new GemmTmaSource(a, b, blockRow, blockCol, ops.TileN);
        WgmmaTmaMainloop.Run(ops, default(TTma), smem, sbase, align, source, scratch, p, blockRow, blockCol, ref epilogue);
    }

    private static string? Alignment(GemmProblem problem) =>
        problem.Lda % 16 != 0 || problem.Ldb % 16 != 0
            ? $"lda ({problem.Lda}) and ldb ({problem.Ldb}) must be multiples of 16 bytes for 16-byte cp.async"
            : null;

    /// <summary>
    /// One 128×N tile of C: thread tid copies 16-byte chunk (tid &amp; 7) of A and B rows (tid &gt;&gt; 3) + 32·i
    /// (<see cref="GemmWgmmaLoader"/>), then the shared main loop and epilogue (<see cref="WgmmaMainloop"/>).
    /// </summary>
    internal static void Kernel<TOps, TEpilogue>(long aAddress, long bAddress, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<int> scratch, GemmMmaTn.Args p, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        uint sbase = ops.DynamicSharedBase();
        int align = WgmmaMainloop.AlignOffset(sbase);
        int tid = Group.IdxX;
        GemmMmaTn.TileOf(Grid.IdxX, p, out int tileM, out int tileNIdx);
        int blockRow = tileM * TileM, blockCol = tileNIdx * ops.TileN;
        int ldRow = tid >> 3, ldChunk = tid & 7;
        var loader = new GemmWgmmaLoader(
            a, aAddress, ((long)(blockRow + ldRow) * p.Lda) + (ldChunk * 16), 32L * p.Lda, p.M - blockRow - ldRow,
            b, bAddress, ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16), 32L * p.Ldb, p.N - blockCol - ldRow,
            p.K - (ldChunk * 16), WgmmaMainloop.CopySlot(align, tid));
        WgmmaMainloop.Run(ops, smem, sbase, align, loader, scratch, p, blockRow, blockCol, ref epilogue);
    }

    /// <summary>Pipeline stages of 128 bytes of K that fit 227 KB with a 128-row A tile and N B rows (the ops' constant).</summary>
    internal static int StagesFor(int tileN) => tileN switch
    {
        256 => default(PtxWgmmaN256).Stages,
        128 => default(PtxWgmmaN128).Stages,
        _ => default(PtxWgmmaN64).Stages,
    };

    /// <summary>The device address of a view's first element (the kernels add byte offsets for cp.async).</summary>
    internal static long DeviceAddress(ArrayView<sbyte> view) =>
        ((IArrayView)view).Buffer.NativePtr.ToInt64() + ((IContiguousArrayView)view).IndexInBytes;
}
