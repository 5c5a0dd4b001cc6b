using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Hopper implicit-GEMM convolution (groups = 1, NHWC int8 input with C a multiple of 16, KRSC weights) on the wgmma
/// main loop of <see cref="GemmWgmmaTn"/> (<see cref="WgmmaMainloop"/>): GEMM M = N·P·Q output pixels, N = K output
/// channels, K = R·S·C. The A tile is gathered by 16-byte cp.async copies straight from the activation, as in
/// <see cref="ConvMma"/>: chunk k = (r·S + s)·C + c of pixel row m is x[n, h0 + r·dh, w0 + s·dw, c..c+15], zero-filled
/// outside the image, past M and past K, through a per-row pixel table in shared memory (after the ring). Block tiles
/// of 128 pixels × <see cref="TileN"/> channels (64: 8 or 4 stages, 128: 6 or 3, 256: 4). Needs compute capability 9.0.
/// </summary>
public sealed class ConvWgmma : IConvVariant
{
    private readonly bool _allowCpu;

    /// <summary>Name of the variant that picks its tile per problem (<see cref="Choose"/>).</summary>
    public const string AutoName = "conv_s8_nhwc_wgmma_implicit_gemm_auto";

    /// <summary>
    /// Creates the variant for 128×<paramref name="tileN"/> tiles (64, 128 or 256), or with 0 the one that picks the
    /// tile per problem (<see cref="Choose"/>); <paramref name="allowCpuAccelerator"/>: tests only.
    /// </summary>
    /// <param name="tileN">Output channels a block: 64, 128, 256, or 0 for the automatic variant.</param>
    /// <param name="stages">Ring depth: 0 for the deepest that fills shared memory (8, 6, 4); 4 for N = 64 or 3 for
    /// N = 128, shallow rings with which two blocks share a multiprocessor (short K).</param>
    /// <param name="allowCpuAccelerator">Also run emulated on the CPU accelerator (tests only).</param>
    public ConvWgmma(int tileN = 0, bool allowCpuAccelerator = false, int stages = 0)
    {
        if (tileN is not (0 or 64 or 128 or 256))
        {
            throw new ArgumentOutOfRangeException(nameof(tileN), tileN, "wgmma convolution tiles are 128×64, 128×128 or 128×256 (0: chosen per problem).");
        }

        if (stages != 0 && (tileN, stages) is not ((64, 4) or (128, 3)))
        {
            throw new ArgumentOutOfRangeException(nameof(stages), stages, "shallow rings exist for 128×64 (4 stages) and 128×128 (3 stages).");
        }

        TileN = tileN;
        _allowCpu = allowCpuAccelerator;
        Stages = stages != 0 ? stages : GemmWgmmaTn.StagesFor(tileN);
    }

    /// <summary>Output channels a block computes (0: chosen per problem).</summary>
    public int TileN { get; }

    /// <summary>Pipeline stages of 128 bytes of K.</summary>
    public int Stages { get; }

    /// <inheritdoc />
    public string Name => TileN == 0 ? AutoName : $"conv_s8_nhwc_wgmma_implicit_gemm_128x{TileN}x128_s{Stages}";

    /// <summary>
    /// The fixed tile this variant runs a problem with: itself when fixed; for the automatic one 128×64 when the layer
    /// has at most 64 output channels (no half-empty tile), else 128×128 (twice the blocks of 128×256 on the small
    /// late layers, where the grid is the limit), both with the shallow ring (4 or 3 stages) that lets two blocks share
    /// a multiprocessor: ResNet's K = R·S·C is only 2-36 stages deep, so prologue and epilogue overlap matters more than depth.
    /// </summary>
    public ConvWgmma Choose(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return TileN != 0 ? this : new ConvWgmma(problem.K <= 64 ? 64 : 128, _allowCpu, problem.K <= 64 ? 4 : 3);
    }

    /// <summary>
    /// Dynamic shared memory: the ring plus the pixel table (8 bytes a row), or the staging tile [128][TileN + 8] int32 and
    /// the epilogue operand's tile [128][TileN] bytes behind it (<see cref="OperandTile"/>), plus 1 KB of alignment.
    /// </summary>
    public int SharedBytes => Math.Max((Stages * WgmmaMainloop.StageBytes(TileN)) + (8 * WgmmaMainloop.TileM), WgmmaMainloop.TileM * (((TileN + 8) * 4) + TileN)) + WgmmaDescriptor.AtomBytes;

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0) =>
        HardLimit(device, problem, format)
        ?? (inputOffset % 16 != 0 ? "x must start on a 16-byte boundary (16-byte cp.async copies)" : null);

    // What the kernel needs to run at all.
    private string? HardLimit(Int8Device device, ConvProblem problem, TensorFormat format) =>
        GemmWgmmaTn.DeviceLimit(device, _allowCpu) ?? ConvMma.Limit(device, problem, format, allowCpu: true);

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        ConvMma.CheckRun(this, device, x, format, weights, problem);

        if (TileN == 0)
        {
            Choose(problem).Run(device, x, format, weights, problem, epilogue);
            return;
        }

        int tileN = TileN, stages = Stages;
        Launch(device, $"conv.wgmma.{Name}.{typeof(TEpilogue).FullName}", ptx => KernelFor<TEpilogue>(tileN, stages, ptx), SharedBytes, tileN, x, weights.View, ConvGeometry.From(problem), weights.Stride, epilogue);
    }

    /// <summary>
    /// Launches a wgmma convolution kernel (<see cref="Kernel{TOps, TEpilogue}"/> with some ops) over the byte geometry
    /// <paramref name="g"/>: one block per 128 × <paramref name="tileN"/> output tile, weight rows <paramref name="ldb"/>
    /// bytes apart; on the CPU accelerator with the emulation's accumulator scratch, synchronously.
    /// </summary>
    internal static void Launch<TEpilogue>(
        Int8Device device, string key, Func<bool, Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ConvMma.Args, TEpilogue>> kernelFor,
        int sharedBytes, int tileN, ArrayView<sbyte> x, ArrayView<sbyte> weights, ConvGeometry g, int ldb, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        bool cuda = device.IsCuda;
        var kernel = device.GetKernel(key, acc => cuda
            ? PtxSm90aPass.LoadStreamKernel(acc, kernelFor(true), sharedBytes)
            : acc.LoadStreamKernel(kernelFor(false)));

        int tilesM = (g.GemmM + WgmmaMainloop.TileM - 1) / WgmmaMainloop.TileM, tilesN = (g.K + tileN - 1) / tileN;
        int blocks = tilesM * tilesN;
        var gemm = new GemmMmaTn.Args(g.GemmM, g.K, g.GemmK, 0, ldb, tilesM, tilesN, (g.GemmK + 127) / 128);
        using var scratch = cuda ? null : device.Accelerator.Allocate1D<int>((long)blocks * WgmmaMainloop.Threads * (tileN / 2));
        kernel(
            new KernelConfig(blocks, WgmmaMainloop.Threads, SharedMemoryConfig.RequestDynamic<int>(sharedBytes / 4)),
            GemmWgmmaTn.DeviceAddress(x),
            GemmWgmmaTn.DeviceAddress(weights),
            x,
            weights,
            scratch?.View ?? ArrayView<int>.Empty,
            new ConvMma.Args(gemm, g, gemm.KTiles),
            epilogue);
        if (!cuda)
        {
            device.Synchronize();
        }
    }

    /// <summary>The kernel for one tile width and epilogue: the PTX instructions, or their emulation.</summary>
    internal static Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ConvMma.Args, TEpilogue> KernelFor<TEpilogue>(int tileN, int stages, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, stages, ptx) switch
        {
            (256, _, true) => Kernel<PtxWgmmaN256, TEpilogue>,
            (256, _, false) => Kernel<EmulatedWgmmaN256, TEpilogue>,
            (128, 3, true) => Kernel<PtxWgmmaN128S3, TEpilogue>,
            (128, 3, false) => Kernel<EmulatedWgmmaN128S3, TEpilogue>,
            (128, _, true) => Kernel<PtxWgmmaN128, TEpilogue>,
            (128, _, false) => Kernel<EmulatedWgmmaN128, TEpilogue>,
            (_, 4, true) => Kernel<PtxWgmmaN64S4, TEpilogue>,
            (_, 4, false) => Kernel<EmulatedWgmmaN64S4, TEpilogue>,
            (_, _, true) => Kernel<PtxWgmmaN64, TEpilogue>,
            _ => Kernel<EmulatedWgmmaN64, TEpilogue>,
        };

    /// <summary>
    /// One 128-pixel × N-channel tile: fills the pixel table (threads 0..127, <see cref="ConvMma.RowInfo"/>), then the
    /// shared main loop with the gathering loader.
    /// </summary>
    internal static void Kernel<TOps, TEpilogue>(long xAddress, long wAddress, ArrayView<sbyte> x, ArrayView<sbyte> w, ArrayView<int> scratch, ConvMma.Args c, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        var p = c.Gemm;
        uint sbase = ops.DynamicSharedBase();
        int align = WgmmaMainloop.AlignOffset(sbase);
        int tid = Group.IdxX;
        GemmMmaTn.TileOf(Grid.IdxX, p, out int tileM, out int tileNIdx);
        int blockRow = tileM * WgmmaMainloop.TileM, blockCol = tileNIdx * ops.TileN;

        // Pixel table after the ring: for tile row i, (h0 << 16 | w0 & 0xFFFF, byte offset of x[n, h0, w0, 0]).
        int tableInts = (align + (ops.Stages * WgmmaMainloop.StageBytes(ops.TileN))) >> 2;
        if (tid < WgmmaMainloop.TileM)
        {
            ConvMma.RowInfo(blockRow + tid, c.G, out int hw, out int rowBase);
            smem[tableInts + (2 * tid)] = hw;
            smem[tableInts + (2 * tid) + 1] = rowBase;
        }

        Group.Barrier();
        int ldRow = tid >> 3, ldChunk = tid & 7;
        var loader = new ConvWgmmaLoader(
            smem.SubView(tableInts, 2 * WgmmaMainloop.TileM).Cast<long>(), ldRow, ldChunk * 16, c.G, x, xAddress,
            w, wAddress, ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16), 32L * p.Ldb, p.N - blockCol - ldRow, p.K - (ldChunk * 16),
            WgmmaMainloop.CopySlot(align, tid));
        WgmmaMainloop.Run(ops, smem, sbase, align, loader, scratch, p, blockRow, blockCol, ref epilogue);
    }
}

/// <summary>
/// The convolution's loader: this thread's A chunk k = kBase + 128·kt of tile rows ldRow + 32·i, gathered through the
/// pixel table (<see cref="ConvMma.Tap"/>, <see cref="ConvMma.GatherBytes"/>, <see cref="ConvMma.GatherOffset"/>);
/// B rows as in the GEMM.
/// </summary>
internal readonly struct ConvWgmmaLoader(
    ArrayView<long> table, int ldRow, int kBase, ConvGeometry g, ArrayView<sbyte> x, long xAddress,
    ArrayView<sbyte> w, long wAddress, long bOff, long bStep, int bRows, int kLeft, int sCopy) : IWgmmaTileLoader
{
    /// <inheritdoc />
    public void CopyStage<TOps>(TOps ops, ArrayView<int> smem, uint sbase, int slotOffset, int kt)
        where TOps : struct, IWgmmaOps
    {
        int kb = GemmMmaTn.CopyBytes(kLeft - (128 * kt));
        int at = slotOffset + sCopy;
        ConvMma.Tap(kBase + (128 * kt), g, out int dr, out int ds, out int tapOff);
        for (int i = 0; i < WgmmaMainloop.TileM / 32; i++)
        {
            long row = table[ldRow + (32 * i)];
            int bytes = ConvMma.GatherBytes((int)row, dr, ds, kb, g);
            ops.Copy16(smem, sbase, at + (i * 4096), x, xAddress, ConvMma.GatherOffset((int)(row >> 32), tapOff, bytes), bytes);
        }

        WgmmaMainloop.CopyB(ops, smem, sbase, at, w, wAddress, bOff + (128L * kt), bStep, bRows, kb);
    }
}
