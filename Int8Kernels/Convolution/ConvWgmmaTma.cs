using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Hopper implicit-GEMM convolution fed by the copy engine (groups = 1, NHWC int8 input with C a multiple of 64, KRSC
/// weights): the wgmma main loop of <see cref="WgmmaTmaMainloop"/> with the A tile loaded by the copy engine's im2col
/// mode (<c>cp.async.bulk.tensor.4d.im2col</c>, <see cref="TmaIm2col"/>) instead of gathered by 16-byte cp.async
/// copies through a pixel table (<see cref="ConvWgmma"/>). GEMM M = N·P·Q output pixels, N = K output channels,
/// K = R·S·C in the order k = (r·S + s)·C + c, as the packed weights. A stage holds 128 bytes of K as one 128-channel
/// chunk (C a multiple of 128) or two 64-channel chunks (64-byte swizzle); chunk k₀ is tap t = k₀ / C, channels
/// c₀ = k₀ mod C: the copy engine walks the tile's 128 output pixels from the tile's first one, (n₀, p₀·strideH −
/// padH, q₀·strideW − padW), and reads each at filter offset (s·dilationW, r·dilationH), zero outside the image: the
/// padding costs nothing. One thread issues two or four copies a stage; no thread computes an address.
/// Tiles of 128 pixels × <see cref="TileN"/> channels (64: 8 stages, 128: 6, 256: 4). Needs compute capability 9.0.
/// </summary>
public sealed class ConvWgmmaTma : IConvVariant
{
    private readonly bool _allowCpu;

    /// <summary>Name of the variant that picks its tile per problem (<see cref="Choose"/>).</summary>
    public const string AutoName = "conv_s8_nhwc_wgmma_tma_implicit_gemm_auto";

    /// <summary>
    /// Creates the variant for 128×<paramref name="tileN"/> tiles (64, 128 or 256), or with 0 the one that picks the
    /// tile per problem (<see cref="Choose"/>); <paramref name="allowCpuAccelerator"/>: emulated, tests only. With
    /// <paramref name="persistent"/> (tiles 64 or 128) one block a multiprocessor walks tiles b, b + G, … through one ring
    /// (<see cref="WgmmaTmaMainloop.RunPersistent"/>): the next tile's first stages load during a tile's epilogue, whose
    /// staging tile has its own shared memory (rings of 4 stages for 128×64, 3 for 128×128) — for short reductions
    /// (ResNet's 64-channel layers: K = 4.5 stages) where the prologue and epilogue of one-tile blocks stay exposed.
    /// </summary>
    public ConvWgmmaTma(int tileN = 0, bool allowCpuAccelerator = false, bool persistent = false)
    {
        if (tileN is not (0 or 64 or 128 or 256) || (persistent && tileN == 256))
        {
            throw new ArgumentOutOfRangeException(nameof(tileN), tileN, "TMA wgmma convolution tiles are 128×64, 128×128 or 128×256, persistent ones 128×64 or 128×128 (0: chosen per problem).");
        }

        TileN = tileN;
        Persistent = persistent;
        _allowCpu = allowCpuAccelerator;
    }

    /// <summary>True for the persistent form (one block a multiprocessor, the ring running on across its tiles).</summary>
    public bool Persistent { get; }

    /// <summary>Output channels a block computes (0: chosen per problem).</summary>
    public int TileN { get; }

    /// <summary>Pipeline stages of 128 bytes of K.</summary>
    public int Stages => TileN == 0 ? 0 : Persistent ? PersistentStages(TileN) : GemmWgmmaTn.StagesFor(TileN);

    /// <inheritdoc />
    public string Name => (Persistent ? "conv_s8_nhwc_wgmma_tma_persistent" : "conv_s8_nhwc_wgmma_tma_implicit_gemm")
        + (TileN == 0 ? "_auto" : $"_128x{TileN}x128_s{Stages}");

    /// <summary>
    /// Dynamic shared memory: the ring and its barriers (the epilogue's tiles fit in the ring), plus 1 KB of alignment;
    /// persistent: the ring, its barriers, then the staging tile [128][N + 8] int32 and the epilogue operand's [128][N] bytes.
    /// </summary>
    public int SharedBytes => TileN == 0 ? 0 : Persistent ? PersistentStaging(TileN) + PersistentEpilogueBytes(TileN) + WgmmaDescriptor.AtomBytes : GemmWgmmaTn.SharedBytesFor(TileN, tma: true);

    // Ring depth of the persistent tiles (the ops' constant): 4 stages of 24 KB for 128×64, 3 of 32 KB for 128×128.
    private static int PersistentStages(int tileN) => tileN == 64 ? default(PtxWgmmaN64S4).Stages : default(PtxWgmmaN128S3).Stages;

    // Byte offset (past the 1024-aligned base) of the persistent block's staging tile: behind the ring and its barriers.
    private static int PersistentStaging(int tileN) =>
        (PersistentStages(tileN) * WgmmaMainloop.StageBytes(tileN)) + WgmmaTmaMainloop.BarrierBytes(PersistentStages(tileN));

    // The staging tile and the epilogue operand's tile.
    private static int PersistentEpilogueBytes(int tileN) => WgmmaMainloop.TileM * (((tileN + 8) * 4) + tileN);

    /// <summary>The fixed tile for a problem: itself when fixed; else 128×64 for at most 64 output channels, 128×128 otherwise.</summary>
    public ConvWgmmaTma Choose(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return TileN != 0 ? this : new ConvWgmmaTma(problem.K <= 64 ? 64 : 128, _allowCpu, Persistent);
    }

    /// <summary>K bytes a box row holds for a problem: 128 when C is a multiple of 128, else 64 (as <see cref="Launch"/> picks).</summary>
    public static int ChunkBytes(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.C % 128 == 0 ? 128 : 64;
    }

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0)
    {
        var limit = GemmWgmmaTn.DeviceLimit(device, _allowCpu) ?? ConvMma.Limit(device, problem, format, allowCpu: true) ?? MapLimit(problem);
        return limit ?? (inputOffset % 16 != 0 ? "x must start on a 16-byte boundary (the tensor map's base address)" : null);
    }

    /// <summary>
    /// Why the copy engine cannot read a problem's activation (C counted in bytes), or null: C a multiple of 64, and the
    /// im2col map's traversal strides 1..8, corners −pad and (P − 1)·stride − pad − (H − 1) in 8 bits, filter offsets
    /// (R − 1)·dilation in 16 bits.
    /// </summary>
    internal static string? MapLimit(ConvProblem problem)
    {
        if (problem.C % 64 != 0)
        {
            return $"C ({problem.C} bytes a pixel) must be a multiple of 64 (the copy engine's im2col boxes of 64 or 128 bytes)";
        }

        int upperH = ((problem.P - 1) * problem.StrideH) - problem.PadH - (problem.H - 1);
        int upperW = ((problem.Q - 1) * problem.StrideW) - problem.PadW - (problem.W - 1);
        if (problem.StrideH > 8 || problem.StrideW > 8 || problem.PadH > 128 || problem.PadW > 128 || upperH is < -128 or > 127 || upperW is < -128 or > 127
            || (problem.R - 1) * problem.DilationH > short.MaxValue || (problem.S - 1) * problem.DilationW > short.MaxValue)
        {
            return $"the im2col tensor map needs strides ≤ 8, paddings ≤ 128 and corners ({upperH}, {upperW}) in −128..127";
        }

        return null;
    }

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

        int tileN = TileN;
        if (Persistent)
        {
            Launch(
                device, $"conv.wgmma.{Name}.{typeof(TEpilogue).FullName}", ptx => PersistentKernelFor<TEpilogue>(tileN, ptx), tileN, x, weights.View,
                weights.Stride, ConvGeometry.From(problem), epilogue, SharedBytes, device.IsCuda ? device.Accelerator.NumMultiprocessors : 3);
            return;
        }

        Launch(device, $"conv.wgmma.{Name}.{typeof(TEpilogue).FullName}", ptx => KernelFor<TEpilogue>(tileN, ptx), tileN, x, weights.View, weights.Stride, ConvGeometry.From(problem), epilogue);
    }

    /// <summary>
    /// Launches a TMA-fed convolution kernel (<see cref="Kernel{TOps, TTma, TEpilogue}"/> with some ops) over the byte
    /// geometry <paramref name="g"/> (C in bytes a pixel, a multiple of 64): the im2col map of <paramref name="x"/>, the
    /// tiled map of the weight rows (<paramref name="weightStride"/> bytes apart), one block per 128 × <paramref name="tileN"/>
    /// output tile; on the CPU accelerator emulated, with the accumulator scratch, synchronously.
    /// </summary>
    /// <remarks>
    /// A persistent kernel passes its <paramref name="sharedBytes"/> and the most blocks it may start,
    /// <paramref name="maxBlocks"/> (one a multiprocessor); the grid is then min(tiles, maxBlocks).
    /// </remarks>
    internal static void Launch<TEpilogue>(
        Int8Device device, string key, Func<bool, Action<TmaIm2col, TmaOperand, ArrayView<int>, ConvMma.Args, TEpilogue>> kernelFor,
        int tileN, ArrayView<sbyte> x, ArrayView<sbyte> weights, int weightStride, ConvGeometry g, TEpilogue epilogue,
        int sharedBytes = 0, int maxBlocks = int.MaxValue)
        where TEpilogue : struct, IGemmEpilogue
    {
        int kw = g.C % 128 == 0 ? 128 : 64, bytes = sharedBytes != 0 ? sharedBytes : GemmWgmmaTn.SharedBytesFor(tileN, tma: true);
        bool cuda = device.IsCuda;
        long mapA = 0, mapB = 0;
        if (cuda)
        {
            var maps = TensorMaps.Of(device);
            mapA = maps.Im2col(GemmWgmmaTn.DeviceAddress(x), g.N, g.H, g.W, g.C, g.StrideH, g.StrideW, g.PadH, g.PadW, g.P, g.Q, kw);
            mapB = maps.Map(GemmWgmmaTn.DeviceAddress(weights), g.K, g.GemmK, weightStride, tileN, kw);
        }

        var a = new TmaIm2col(x, mapA, g.N, g.H, g.W, g.C, g.StrideH, g.StrideW, -g.PadH, -g.PadW, ((g.P - 1) * g.StrideH) - g.PadH, ((g.Q - 1) * g.StrideW) - g.PadW, kw);
        var b = new TmaOperand(weights, mapB, g.K, g.GemmK, weightStride, kw);
        var kernel = device.GetKernel(key, acc => cuda
            ? PtxSm90aPass.LoadStreamKernel(acc, kernelFor(true), bytes)
            : acc.LoadStreamKernel(kernelFor(false)));
        int tilesM = (g.GemmM + WgmmaMainloop.TileM - 1) / WgmmaMainloop.TileM, tilesN = (g.K + tileN - 1) / tileN;
        int blocks = Math.Min(tilesM * tilesN, maxBlocks);
        var gemm = new GemmMmaTn.Args(g.GemmM, g.K, g.GemmK, 0, weightStride, tilesM, tilesN, (g.GemmK + 127) / 128);
        using var scratch = cuda ? null : device.Accelerator.Allocate1D<int>((long)blocks * WgmmaMainloop.Threads * (tileN / 2));
        kernel(new KernelConfig(blocks, WgmmaMainloop.Threads, SharedMemoryConfig.RequestDynamic<int>(bytes / 4)), a, b, scratch?.View ?? ArrayView<int>.Empty, new ConvMma.Args(gemm, g, gemm.KTiles), epilogue);
        if (!cuda)
        {
            device.Synchronize();
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The kernel for one tile width and epilogue: the PTX instructions, or their emulation.</summary>
    internal static Action<TmaIm2col, TmaOperand, ArrayView<int>, ConvMma.Args, TEpilogue> KernelFor<TEpilogue>(int tileN, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, ptx) switch
        {
            (256, true) => Kernel<PtxWgmmaN256, PtxTma, TEpilogue>,
            (256, false) => Kernel<EmulatedWgmmaN256, EmulatedTma, TEpilogue>,
            (128, true) => Kernel<PtxWgmmaN128, PtxTma, TEpilogue>,
            (128, false) => Kernel<EmulatedWgmmaN128, EmulatedTma, TEpilogue>,
            (_, true) => Kernel<PtxWgmmaN64, PtxTma, TEpilogue>,
            _ => Kernel<EmulatedWgmmaN64, EmulatedTma, TEpilogue>,
        };

    /// <summary>The persistent kernel for one tile width (64: 4 stages, 128: 3) and epilogue: PTX or emulated.</summary>
    internal static Action<TmaIm2col, TmaOperand, ArrayView<int>, ConvMma.Args, TEpilogue> PersistentKernelFor<TEpilogue>(int tileN, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, ptx) switch
        {
            (128, true) => PersistentKernel<PtxWgmmaN128S3, PtxTma, TEpilogue>,
            (128, false) => PersistentKernel<EmulatedWgmmaN128S3, EmulatedTma, TEpilogue>,
            (_, true) => PersistentKernel<PtxWgmmaN64S4, PtxTma, TEpilogue>,
            _ => PersistentKernel<EmulatedWgmmaN64S4, EmulatedTma, TEpilogue>,
        };

    /// <summary>A persistent block: its tiles through <see cref="WgmmaTmaMainloop.RunPersistent"/>, the staging tile behind the ring's barriers.</summary>
    internal static void PersistentKernel<TOps, TTma, TEpilogue>(TmaIm2col a, TmaOperand b, ArrayView<int> scratch, ConvMma.Args c, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TTma : struct, ITmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        uint sbase = ops.DynamicSharedBase();
        int align = WgmmaMainloop.AlignOffset(sbase);
        int staging = align + (ops.Stages * WgmmaMainloop.StageBytes(ops.TileN)) + WgmmaTmaMainloop.BarrierBytes(ops.Stages);
        var tiles = new ConvTmaTiles(a, b, c.G, c.Gemm, ops.TileN);
        WgmmaTmaMainloop.RunPersistent<TOps, TTma, ConvTmaSource, ConvTmaTiles, TEpilogue>(ops, default(TTma), smem, sbase, align, staging, tiles, scratch, c.Gemm, ref epilogue);
    }

    /// <summary>One 128-pixel × N-channel tile: its first output pixel decoded once, then the TMA-fed main loop.</summary>
    internal static void Kernel<TOps, TTma, TEpilogue>(TmaIm2col a, TmaOperand b, ArrayView<int> scratch, ConvMma.Args c, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TTma : struct, ITmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        var p = c.Gemm;
        uint sbase = ops.DynamicSharedBase();
        int align = WgmmaMainloop.AlignOffset(sbase);
        GemmMmaTn.TileOf(Grid.IdxX, p, out int tileM, out int tileNIdx);
        int blockRow = tileM * WgmmaMainloop.TileM, blockCol = tileNIdx * ops.TileN;
        var first = ConvPixel.Decode(blockRow, c.G);
        var source = new ConvTmaSource(a, b, c.G, first.N, first.H0, first.W0, blockCol, ops.TileN);
        WgmmaTmaMainloop.Run(ops, default(TTma), smem, sbase, align, source, scratch, p, blockRow, blockCol, ref epilogue);
    }
}

/// <summary>A persistent block's tiles: tile t's first output pixel decoded into its <see cref="ConvTmaSource"/>.</summary>
internal readonly struct ConvTmaTiles(TmaIm2col a, TmaOperand b, ConvGeometry g, GemmMmaTn.Args p, int tileN) : ITmaTileSources<ConvTmaSource>
{
    /// <inheritdoc />
    public ConvTmaSource For(int tile)
    {
        GemmMmaTn.TileOf(tile, p, out int tileM, out int tileNIdx);
        var first = ConvPixel.Decode(tileM * WgmmaMainloop.TileM, g);
        return new ConvTmaSource(a, b, g, first.N, first.H0, first.W0, tileNIdx * tileN, tileN);
    }
}

/// <summary>
/// The convolution's stage: for each chunk of K bytes k₀ = 128·kt + j·ChunkBytes, tap t = k₀ / C (r = t / S,
/// s = t mod S) and channels c₀ = k₀ mod C of the tile's 128 pixels through the im2col map, and the B box of N weight
/// rows at k₀. A chunk past R·S·C (an odd count of 64-byte chunks) reads the last tap: its B box lies past K and reads
/// 0, so it adds nothing.
/// </summary>
internal readonly struct ConvTmaSource(TmaIm2col a, TmaOperand b, ConvGeometry g, int n0, int h0, int w0, int blockCol, int tileN) : ITmaStageSource
{
    /// <inheritdoc />
    public int ChunkBytes => a.BoxBytes;

    /// <inheritdoc />
    public void Request<TTma>(TTma tma, ArrayView<int> smem, uint ring, int align, int slotOffset, uint full, int kt)
        where TTma : struct, ITmaOps
    {
        int kw = a.BoxBytes;
        tma.ExpectBytes(full, WgmmaMainloop.StageBytes(tileN));
        for (int j = 0; j < 128 / kw; j++)
        {
            int k0 = (128 * kt) + (j * kw);
            int tap = Math.Min(k0 / g.C, (g.R * g.S) - 1);
            int c0 = k0 - (tap * g.C);
            int r = tap / g.S, s = tap - (r * g.S);
            int aAt = slotOffset + (j * WgmmaMainloop.TileM * kw);
            int bAt = slotOffset + (WgmmaMainloop.TileM * 128) + (j * tileN * kw);
            tma.LoadIm2col(smem, ring + (uint)aAt, align + aAt, a, Math.Min(c0, g.C - kw), w0, h0, n0, s * g.DilationW, r * g.DilationH, full);
            tma.Load(smem, ring + (uint)bAt, align + bAt, b, k0, blockCol, tileN, full);
        }
    }
}
