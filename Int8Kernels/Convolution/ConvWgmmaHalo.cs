using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Hopper direct convolution from a shared-memory halo tile (sm_90a; stride 1, dilation 1, groups = 1, NHWC int8 input
/// with C a multiple of 32, or C = 16 with an even filter width: the folded stem, KRSC weights): no im2col rows are gathered at all. A warpgroup computes 64 output pixels ×
/// 64 channels, the pixels as 8 "core rows" of 8 horizontally consecutive pixels (<see cref="HaloShape"/>: 8 image rows
/// × 8 columns, 4 × 16, 2 × 32 or 1 × 64). Its input halo ((8/G + R − 1) image rows, each cut into G pieces of 8 + S − 1
/// pixels, padded to odd: "virtual rows") is copied once into shared memory in wgmma's no-swizzle K-major layout,
/// [C/16 chunks][virtual row][(8 + S − 1) | 1 pixels][16 bytes], so that for every filter tap (r, s) the A operand of
/// <c>wgmma.mma_async.m64n64k32</c> is the same buffer seen through a descriptor whose start moves by
/// (r·G·W + s)·16 bytes (W the padded row): core matrix q (8 pixels × 16 bytes, contiguous) of tap (r, s) is virtual row
/// r·G + q, at the uniform stride W·16 (the descriptor's stride byte offset), and the next 16 channels are one
/// chunk plane further (its leading byte offset). The weights stay resident for the block's life in the GEMMs' layout,
/// 128-byte K stages of [64 channels][128 bytes] with the 128-byte swizzle. So the tensor cores read every input byte from shared memory R·S times
/// but global memory and L2 deliver it about (8/G + R − 1)(8 + S − 1)/64 times (1.56 for 3×3 on 8 × 8), where the
/// implicit GEMM gathers every tap's rows again.
/// <para>
/// A block is two warpgroups on two consecutive 64-pixel tiles of one 64-channel column; it walks tiles b, b + G', …
/// (persistent, G' = resident blocks of the column): at each step it waits for the copies of its current halos, issues
/// the next step's halo copies into the other buffer (cp.async, zero outside the image), runs the R·S·C/32 wgmma of the
/// tile in one commit group, then stages the int32 accumulators through shared memory to the epilogue, 4 channels a
/// thread. After the weights, each warpgroup syncs only its own threads (named barriers), so one warpgroup's epilogue
/// overlaps the other's wgmma. With C = 16 one k step spans taps (r, s) and (r, s + 1): the A descriptor's leading byte offset is then one
/// pixel (16 bytes), the core matrices of the two halves overlapping in the halo. The same kernel runs FP16 on the halves' bytes with the FP16 wgmma ops (<see cref="ConvWgmmaHaloFloat"/>).
/// </para>
/// </summary>
public sealed class ConvWgmmaHalo : IConvVariant
{
    /// <summary>Output channels a warpgroup computes (m64n64 wgmma).</summary>
    public const int TileN = 64;

    /// <summary>Output pixels a warpgroup computes.</summary>
    public const int WarpgroupPixels = 64;

    private const int StagingBytes = WgmmaMainloop.TileM * (TileN + 8) * 4;

    // Epilogue passes a warpgroup makes over its 64 × 64 tile, 128 threads × 4 channels a pass.
    private const int Passes = WarpgroupPixels * (TileN / 4) / 128;

    private readonly bool _allowCpu;
    private readonly int _blocksPerColumn;

    /// <summary>
    /// Creates the variant. <paramref name="allowCpuAccelerator"/> runs it emulated on the CPU accelerator (tests);
    /// <paramref name="blocksPerColumn"/> fixes the resident blocks a column (0: the multiprocessors' worth; tests force
    /// a few so that each block walks several tiles).
    /// </summary>
    public ConvWgmmaHalo(bool allowCpuAccelerator = false, int blocksPerColumn = 0)
        : this(allowCpuAccelerator, blocksPerColumn, ablate: 0)
    {
    }

    /// <summary>
    /// A diagnostic build for Perf (wrong results): <paramref name="ablate"/> bits skip the wgmma (1), the epilogue (2),
    /// the next tile's halo copies (4), to find what a step costs.
    /// </summary>
    internal ConvWgmmaHalo(bool allowCpuAccelerator, int blocksPerColumn, int ablate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blocksPerColumn);
        _allowCpu = allowCpuAccelerator;
        _blocksPerColumn = blocksPerColumn;
        Ablate = ablate;
    }

    /// <summary>The diagnostic bits (0 in every real run).</summary>
    internal int Ablate { get; }

    /// <inheritdoc />
    public string Name => "conv_s8_nhwc_wgmma_halo_64x64";

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return GemmWgmmaTn.DeviceLimit(device, _allowCpu)
            ?? ConvMma.Limit(device, problem, format, allowCpu: true)
            ?? Limit(problem)
            ?? (inputOffset % 16 != 0 ? "x must start on a 16-byte boundary (16-byte cp.async copies)" : null);
    }

    /// <summary>Why the halo kernel cannot run a problem whose C counts bytes (null when it can).</summary>
    internal static string? Limit(ConvProblem problem)
    {
        if (problem.StrideH != 1 || problem.StrideW != 1 || problem.DilationH != 1 || problem.DilationW != 1)
        {
            return "the halo kernel runs stride 1, dilation 1 only (the taps are shifts of one shared tile)";
        }

        if (problem.C % 32 != 0 && (problem.C != 16 || problem.S % 2 != 0))
        {
            return $"{problem.C} bytes a pixel is neither a multiple of 32 nor 16 with an even filter width (a wgmma k step is 32 bytes: one tap's, or two neighbouring taps' 16)";
        }

        if ((long)problem.H * problem.W * problem.C > int.MaxValue)
        {
            return "an image of over 2^31 bytes (the halo copy computes offsets inside an image in 32 bits)";
        }

        var shape = HaloShape.For(problem);
        int bytes = SharedBytes(problem, shape);
        if (bytes > ConvWgmmaPersistent.MaxSharedBytes)
        {
            return $"the resident weights ({problem.R}×{problem.S}×{problem.C} bytes × 64 channels) with two halo buffers and staging need {bytes} bytes of shared memory, over {ConvWgmmaPersistent.MaxSharedBytes}";
        }

        if ((long)(problem.C >> 4) * (problem.C >> 4) * shape.HaloPixels(problem) >= 1L << 32)
        {
            return "the halo has too many 16-byte chunks for the copy's reciprocal division";
        }

        // Descriptor offsets hold 14 bits of 16-byte units.
        return shape.ChunkStride(problem) >= 1 << 18 ? "the halo tile is too large for a wgmma descriptor's leading byte offset" : null;
    }

    /// <summary>
    /// Dynamic shared memory a block: 1 KB of alignment (the weights' swizzle atoms), the resident weights
    /// ⌈R·S·C / 128⌉ stages of 64 × 128 bytes, two halo buffers for each of the two warpgroups (C·halo pixels each),
    /// the int32 staging tile 128 × 72, and the halo pixel table (an int a halo pixel, 16-byte rounded).
    /// </summary>
    internal static int SharedBytes(ConvProblem problem, HaloShape shape) =>
        WgmmaDescriptor.AtomBytes + (((problem.R * problem.S * problem.C) + 127) / 128 * TileN * 128) + (4 * problem.C * shape.HaloPixels(problem)) + StagingBytes
        + TableBytes(shape.HaloPixels(problem));

    /// <summary>
    /// magic = ⌈2^32 / d⌉ for the 16-byte chunks d = C/16 a pixel: i / d = (i · magic) &gt;&gt; 32 exactly when i·d &lt; 2^32
    /// (with d·magic = 2^32 + r, r &lt; d, the product over 2^32 is i/d + i·r/(d·2^32), and the error i·r/(d·2^32) &lt; 1/d
    /// never reaches the next integer, at least 1/d above i/d); <see cref="Limit"/> keeps (C/16)² × halo pixels under 2^32.
    /// </summary>
    internal static long ChunkMagic(int d) => (long)((1UL << 32) + (ulong)d - 1) / d;

    /// <summary>Bytes of the halo pixel table: 4 a halo pixel, rounded up to 16.</summary>
    private static int TableBytes(int haloPixels) => ((4 * haloPixels) + 15) & ~15;

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        ConvMma.CheckRun(this, device, x, format, weights, problem);
        Launch(
            device, $"conv.wgmma.halo.{typeof(TEpilogue).FullName}", ptx => ptx ? Kernel<PtxWgmmaN64, TEpilogue> : Kernel<EmulatedWgmmaN64, TEpilogue>,
            x, weights.View, weights.Stride, problem, _blocksPerColumn, epilogue, Ablate);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Launches the halo kernel <paramref name="kernelFor"/> gives (PTX or emulated) on a problem whose C counts bytes,
    /// weights rows <paramref name="ldb"/> bytes apart.
    /// </summary>
    internal static void Launch<TEpilogue>(
        Int8Device device, string key, Func<bool, Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, Args, TEpilogue>> kernelFor,
        ArrayView<sbyte> x, ArrayView<sbyte> weights, int ldb, ConvProblem problem, int blocksPerColumn, TEpilogue epilogue, int ablate = 0)
        where TEpilogue : struct, IGemmEpilogue
    {
        bool cuda = device.IsCuda;
        var shape = HaloShape.For(problem);
        int bytes = SharedBytes(problem, shape);
        var kernel = device.GetKernel(key, acc => cuda
            ? PtxSm90aPass.LoadStreamKernel(acc, kernelFor(true), ConvWgmmaPersistent.MaxSharedBytes)
            : acc.LoadStreamKernel(kernelFor(false)));

        var g = ConvGeometry.From(problem);
        int tilesY = (g.P + shape.Rows - 1) / shape.Rows, tilesX = (g.Q + shape.Columns - 1) / shape.Columns;
        int tiles = g.N * tilesY * tilesX;
        int pairs = (tiles + 1) / 2;
        int tilesN = (g.K + TileN - 1) / TileN;
        int perColumn = blocksPerColumn > 0
            ? Math.Min(blocksPerColumn, pairs)
            : ConvWgmmaPersistent.ResidentPerColumn(device, bytes, pairs, tilesN);
        int blocks = perColumn * tilesN;
        var gemm = new GemmMmaTn.Args(g.GemmM, g.K, g.GemmK, 0, ldb, pairs, tilesN, 0);
        var args = new Args(gemm, g, System.Numerics.BitOperations.Log2((uint)shape.Groups), ChunkMagic(g.C >> 4), tilesY, tilesX, tiles, perColumn, ablate);
        using var scratch = cuda ? null : device.Accelerator.Allocate1D<int>((long)blocks * WgmmaMainloop.Threads * (TileN / 2));
        kernel(
            new KernelConfig(blocks, WgmmaMainloop.Threads, SharedMemoryConfig.RequestDynamic<int>(bytes / 4)),
            GemmWgmmaTn.DeviceAddress(x),
            GemmWgmmaTn.DeviceAddress(weights),
            x,
            weights,
            scratch?.View ?? ArrayView<int>.Empty,
            args,
            epilogue);
        if (!cuda)
        {
            device.Synchronize();
        }
    }

    /// <summary>
    /// Block b: column b mod TilesN, tile pairs b / TilesN + i·BlocksPerColumn; warpgroup w of the block takes tile
    /// 2·pair + w. Shared memory from the first 128-byte aligned address: the weights [R·S·C/16][64][16], the halos
    /// [buffer 2][warpgroup 2][C/16][halo pixels][16], the staging tile [128][72] int32, the halo pixel table.
    /// The index arithmetic a tile repeats has no integer division: the halo pixels' (row, column) come from the table,
    /// 16-byte chunks from a reciprocal, the tile's pieces G from shifts, the descriptors from one base plus 16-byte steps.
    /// </summary>
    internal static void Kernel<TOps, TEpilogue>(long xAddress, long wAddress, ArrayView<sbyte> x, ArrayView<sbyte> w, ArrayView<int> scratch, Args a, TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(TOps);
        var p = a.Gemm;
        var g = a.G;
        uint sbase = ops.DynamicSharedBase();
        int align = WgmmaMainloop.AlignOffset(sbase);
        int tid = Group.IdxX;
        int wg = tid >> 7, lt = tid & 127;
        int column = Grid.IdxX % p.TilesN;
        int first = Grid.IdxX / p.TilesN;
        int blockCol = column * TileN;
        int groups = a.Groups, rows = 8 / groups;
        int vw = HaloShape.RowPixels(g.S);
        int haloPixels = (rows + g.R - 1) * groups * vw;
        int c16 = g.C >> 4;
        int chunkStride = haloPixels * 16;
        int haloBytes = c16 * chunkStride;
        int kChunks = p.K >> 4, kStages = (p.K + 127) >> 7;
        int bAt = align, haloAt = bAt + (kStages * TileN * 128);
        int stagingAt = haloAt + (4 * haloBytes);
        int tableAt = stagingAt + StagingBytes;

        // The weights, once, as the GEMMs keep B: stage k/128 of [64 rows][128 bytes] with the 128-byte swizzle (chunk c
        // of row n at c ^ (n mod 8)); zero past N and past K.
        for (int i = tid; i < kStages * 8 * TileN; i += WgmmaMainloop.Threads)
        {
            int stage = i >> 9, n = (i >> 3) & 63, chunk = i & 7;
            int kc = (stage * 8) + chunk;
            int inside = kc < kChunks ? GemmMmaTn.IfRowInside(16, p.N - blockCol, n) : 0;
            long src = inside != 0 ? ((long)(blockCol + n) * p.Ldb) + (kc * 16L) : 0;
            ops.Copy16(smem, sbase, bAt + (stage * TileN * 128) + (n * 128) + ((chunk ^ (n & 7)) << 4), w, wAddress, src, inside);
        }

        // The halo pixel table, once: pixel h = v·W' + u of virtual row v lies at image row v / G and column
        // 8·(v mod G) + u of the tile's halo; entry = row << 16 | column.
        for (int h = tid; h < haloPixels; h += WgmmaMainloop.Threads)
        {
            int v = h / vw, u = h - (v * vw);
            int vr = v >> a.GroupShift;
            smem[(tableAt >> 2) + h] = (vr << 16) | ((8 * (v - (vr << a.GroupShift))) + u);
        }

        Group.Barrier();
        int pair = first;
        if (pair < p.TilesM)
        {
            CopyHalo(ops, smem, sbase, haloAt + (wg * haloBytes), tableAt, x, xAddress, g, a, (2 * pair) + wg, lt, rows, haloPixels, c16);
        }

        ops.CommitCopies();

        // The weights are everyone's: one block-wide barrier; from here on each warpgroup syncs only its own 128 threads
        // (its halos and staging rows are its own), so one warpgroup's epilogue runs beside the other's wgmma.
        ops.WaitCopies(0);
        ops.FenceProxyAsync();
        Group.Barrier();
        int buffer = 0;
        int kSteps = g.C >> 5;
        // Descriptor steps in 16-byte units: a halo row r·G·W' pixels, a tap s pixels, a k step two chunk planes; the
        // weights' 8 KB stage (k / 128) and 16-byte chunk ((k mod 128) / 16) for K byte k.
        int rowStep = groups * vw, planeStep = 2 * (chunkStride >> 4);
        for (; pair < p.TilesM; pair += a.BlocksPerColumn)
        {
            ops.WaitCopies(0);
            ops.FenceProxyAsync();
            WarpgroupBarrier(wg);
            int next = pair + a.BlocksPerColumn;
            if (next < p.TilesM && (a.Ablate & 4) == 0)
            {
                int at = haloAt + ((((1 - buffer) * 2) + wg) * haloBytes);
                CopyHalo(ops, smem, sbase, at, tableAt, x, xAddress, g, a, (2 * next) + wg, lt, rows, haloPixels, c16);
            }

            ops.CommitCopies();

            // Tap (r, s), k step j: A from virtual row r·G of this warpgroup's halo, shifted s pixels, chunk 2j;
            // B from K byte k = (r·S + s)·C + 32j of the weights.
            uint aBase = sbase + (uint)(haloAt + (((buffer * 2) + wg) * haloBytes));
            long descB = WgmmaDescriptor.Swizzle128(sbase + (uint)bAt);
            ops.ZeroAccumulators(scratch);
            ops.Fence();
            if ((a.Ablate & 1) != 0)
            {
                // Diagnostic: no wgmma.
            }
            else if (c16 == 1)
            {
                // 16 bytes a pixel (the folded stem): a k step is taps (r, s) and (r, s + 1), the second one pixel
                // (16 bytes, the leading byte offset) further in the halo and one chunk further in the weights.
                long descA = WgmmaDescriptor.NoSwizzle(aBase, 16, vw * 16);
                int k = 0;
                for (int r = 0; r < g.R; r++)
                {
                    long rowA = descA + (r * rowStep);
                    for (int s = 0; s < g.S; s += 2)
                    {
                        ops.Mma(smem, rowA + s, descB + ((k >> 7) << 9) + ((k & 127) >> 4), scratch);
                        k += 32;
                    }
                }
            }
            else
            {
                long descA = WgmmaDescriptor.NoSwizzle(aBase, chunkStride, vw * 16);
                int k = 0;
                for (int r = 0; r < g.R; r++)
                {
                    long rowA = descA + (r * rowStep);
                    for (int s = 0; s < g.S; s++)
                    {
                        long tapA = rowA + s;
                        for (int j = 0; j < kSteps; j++)
                        {
                            ops.Mma(smem, tapA + (j * planeStep), descB + ((k >> 7) << 9) + ((k & 127) >> 4), scratch);
                            k += 32;
                        }
                    }
                }
            }

            ops.CommitMma();
            ops.WaitMma(0);
            if ((a.Ablate & 2) == 0)
            {
                Finish(ops, smem, sbase, stagingAt, scratch, p, g, a, pair, blockCol, tid, wg, rows, ref epilogue);
            }

            buffer = 1 - buffer;
        }

        ops.WaitCopies(0);
    }

    /// <summary>
    /// Syncs warpgroup <paramref name="wg"/>'s 128 threads: <c>bar.sync 1 + wg, 128</c> on CUDA (barrier 0 is the
    /// block's); elsewhere the whole block (the CPU accelerator: both warpgroups walk the same number of steps).
    /// </summary>
    private static void WarpgroupBarrier(int wg)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("bar.sync %0, 128;", 1 + wg);
        }
        else
        {
            Group.Barrier();
        }
    }

    /// <summary>
    /// Copies the halo of 64-pixel tile <paramref name="tile"/> (nothing past the last tile) with this warpgroup's 128
    /// threads: element i = h·C/16 + c is chunk c of halo pixel h (h by the reciprocal <see cref="ChunkMagic"/>), whose
    /// (row, column) in the halo the table at <paramref name="tableAt"/> holds; from x at image row y0 − pad + row,
    /// column x0 − pad + column (zero outside the image) to <paramref name="at"/> + (c·halo pixels + h)·16.
    /// </summary>
    private static void CopyHalo<TOps>(
        TOps ops, ArrayView<int> smem, uint sbase, int at, int tableAt, ArrayView<sbyte> x, long xAddress, ConvGeometry g, Args a, int tile,
        int lt, int rows, int haloPixels, int c16)
        where TOps : struct, IWgmmaOps
    {
        if (tile >= a.Tiles)
        {
            return;
        }

        TileOrigin(a, tile, rows, out int img, out int y0, out int x0);
        y0 -= g.PadH;
        x0 -= g.PadW;
        long imageBase = (long)img * g.H * g.W * g.C;
        if (imageBase < 0 || y0 < -g.PadH || x0 < -g.PadW)
        {
            // Never for a tile below a.Tiles; using the origin here keeps its divisions and products out of the loop
            // (ILGPU places a value beside its uses, inside the loop when all of them are there).
            return;
        }

        int total = c16 * haloPixels;
        for (int i = lt; i < total; i += 128)
        {
            int h = (int)(((ulong)(uint)i * (ulong)a.ChunkMagic) >> 32), c = i - (h * c16);
            int entry = smem[(tableAt >> 2) + h];
            int y = y0 + (entry >> 16), xx = x0 + (entry & 0xFFFF);
            bool inside = (uint)y < (uint)g.H && (uint)xx < (uint)g.W;
            long src = inside ? imageBase + (((y * g.W) + xx) * g.C) + (c << 4) : 0;
            ops.Copy16(smem, sbase, at + (((c * haloPixels) + h) << 4), x, xAddress, src, inside ? 16 : 0);
        }
    }

    /// <summary>
    /// Where 64-pixel tile <paramref name="tile"/> lies: image <paramref name="img"/>, its first output row
    /// <paramref name="y0"/> and column <paramref name="x0"/> (tiles row-major over ⌈P / rows⌉ × ⌈Q / 8G⌉ an image).
    /// </summary>
    private static void TileOrigin(Args a, int tile, int rows, out int img, out int y0, out int x0)
    {
        int perImage = a.TilesY * a.TilesX;
        img = tile / perImage;
        int rest = tile - (img * perImage);
        int ty = rest / a.TilesX;
        y0 = ty * rows;
        x0 = (rest - (ty * a.TilesX)) * 8 * a.Groups;
    }

    /// <summary>
    /// A warpgroup's epilogue: its accumulators into its 64 rows of the staging tile (row i is its pixel: core row i / 8,
    /// pixel i mod 8), a warpgroup barrier, then 4 consecutive channels a thread through
    /// <see cref="GemmMmaTn.Finish{TEpilogue}(ref TEpilogue, GemmMmaTn.Args, int, int, int, int, int, int)"/> at GEMM row
    /// m = (n·P + y)·Q + x, skipping pixels outside the output. The tile's first row is decoded once; core row q lies
    /// q >> log2 G image rows and 8·(q mod G) columns further.
    /// </summary>
    private static void Finish<TOps, TEpilogue>(
        TOps ops, ArrayView<int> smem, uint sbase, int stagingAt, ArrayView<int> scratch, GemmMmaTn.Args p, ConvGeometry g, Args a,
        int pair, int blockCol, int tid, int wg, int rows, ref TEpilogue epilogue)
        where TOps : struct, IWgmmaOps
        where TEpilogue : struct, IGemmEpilogue
    {
        int pitch = ops.StagingPitchBytes;
        int lane = tid & 31, warpInGroup = (tid >> 5) & 3;
        int own = (((64 * wg) + (16 * warpInGroup) + (lane >> 2)) * pitch) + (8 * (lane & 3));
        ops.StoreAccumulators(smem, sbase + (uint)(stagingAt + own), stagingAt + own, scratch);
        WarpgroupBarrier(wg);
        int tile = (2 * pair) + wg;
        if (tile >= a.Tiles)
        {
            return;
        }

        TileOrigin(a, tile, rows, out int img, out int y0, out int x0);
        int rowBase = (((img * g.P) + y0) * g.Q) + x0;
        if (rowBase >= p.M)
        {
            // Never for a tile below a.Tiles; keeps the origin's divisions out of the loop below.
            return;
        }

        var tile4 = smem.Cast<Int4>();
        int base4 = stagingAt >> 4, pitch4 = pitch >> 4;
        int lt = tid & 127, col4 = lt & 15;
        int yLeft = g.P - y0, xLeft = g.Q - x0;
        int col = blockCol + (4 * col4);
        if (col + 3 < p.N)
        {
            // A thread's four channels are the same in every pass: their parameters are read once, not once a pass.
            var columns = epilogue.LoadColumns4(col);
            var operand = epilogue.Operand;
            bool hasOperand = operand.View.Length > 0;
            for (int pass = 0; pass < Passes; pass++)
            {
                int i = PassPixel(pass, lt, a, out int qr, out int qx);
                if (qr < yLeft && qx < xLeft)
                {
                    Int4 v = tile4[base4 + (((64 * wg) + i) * pitch4) + col4];
                    int row = rowBase + (qr * g.Q) + qx;
                    epilogue.Apply4(row, col, columns, v.X, v.Y, v.Z, v.W, hasOperand ? operand.Read4(row, col) : 0);
                }
            }

            return;
        }

        for (int pass = 0; pass < Passes; pass++)
        {
            int i = PassPixel(pass, lt, a, out int qr, out int qx);
            if (qr < yLeft && qx < xLeft)
            {
                Int4 v = tile4[base4 + (((64 * wg) + i) * pitch4) + col4];
                GemmMmaTn.Finish(ref epilogue, p, rowBase + (qr * g.Q) + qx, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W);
            }
        }
    }

    /// <summary>
    /// The staging row i = 8·pass + lt / 16 (the warpgroup's pixel) thread <paramref name="lt"/> finishes in a pass, and
    /// where it lies from the tile's origin: core row q = i / 8 is <paramref name="qr"/> = q &gt;&gt; log2 G image rows and
    /// <paramref name="qx"/> = 8·(q mod G) + i mod 8 columns further.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PassPixel(int pass, int lt, Args a, out int qr, out int qx)
    {
        int i = (pass * 8) + (lt >> 4), q = i >> 3;
        qr = q >> a.GroupShift;
        qx = (8 * (q - (qr << a.GroupShift))) + (i & 7);
        return i;
    }

    /// <summary>
    /// Kernel arguments: the GEMM view (M output pixels, N channels, K = R·S·C bytes, Ldb; TilesM = tile pairs, TilesN
    /// = 64-channel columns), the geometry, log2 of the core rows' pieces G, the reciprocal of C/16
    /// (<see cref="ChunkMagic"/>), the tile grid and count, the resident blocks a column, the diagnostic bits (0).
    /// </summary>
    internal readonly record struct Args(GemmMmaTn.Args Gemm, ConvGeometry G, int GroupShift, long ChunkMagic, int TilesY, int TilesX, int Tiles, int BlocksPerColumn, int Ablate)
    {
        /// <summary>The core rows' pieces G = 2^GroupShift.</summary>
        public int Groups => 1 << GroupShift;
    }

    /// <summary>
    /// How a warpgroup's 64 pixels lie in the image: <see cref="Groups"/> (G = 1, 2, 4 or 8) pieces of 8 columns on each
    /// of 8/G rows. For a problem, the G with the fewest tiles over its P × Q output, ties to the smaller halo.
    /// </summary>
    internal readonly record struct HaloShape(int Groups)
    {
        /// <summary>Image rows a tile covers.</summary>
        public int Rows => 8 / Groups;

        /// <summary>Image columns a tile covers.</summary>
        public int Columns => 8 * Groups;

        /// <summary>
        /// Pixels a virtual row holds: 8 + S − 1 rounded up to odd, so that the 8 core matrices of a wgmma (one virtual
        /// row apart: (8 + S − 1)·16 bytes) start in 8 different 16-byte bank groups.
        /// </summary>
        public static int RowPixels(int s) => (8 + s - 1) | 1;

        /// <summary>Halo pixels: (8/G + R − 1) rows × G pieces × <see cref="RowPixels"/>.</summary>
        public int HaloPixels(ConvProblem problem) => (Rows + problem.R - 1) * Groups * RowPixels(problem.S);

        /// <summary>Bytes between the halo's 16-channel chunk planes: halo pixels × 16.</summary>
        public int ChunkStride(ConvProblem problem) => HaloPixels(problem) * 16;

        /// <summary>The shape for a problem (tiles = ⌈P / rows⌉·⌈Q / columns⌉ per image).</summary>
        public static HaloShape For(ConvProblem problem)
        {
            var best = new HaloShape(1);
            long bestTiles = long.MaxValue;
            foreach (int groups in new[] { 1, 2, 4, 8 })
            {
                var shape = new HaloShape(groups);
                long tiles = (long)((problem.P + shape.Rows - 1) / shape.Rows) * ((problem.Q + shape.Columns - 1) / shape.Columns);
                if (tiles < bestTiles || (tiles == bestTiles && shape.HaloPixels(problem) < best.HaloPixels(problem)))
                {
                    best = shape;
                    bestTiles = tiles;
                }
            }

            return best;
        }
    }
}
