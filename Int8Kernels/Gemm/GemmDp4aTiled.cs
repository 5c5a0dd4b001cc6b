using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// SIMT dp4a GEMM C[M,N] = A[M,K]·B[N,K]ᵀ, int8 → int32 (wrapping), finished by a fused epilogue.
/// Block tiles of 128×128 (256 threads), 128×64 or 64×64 (<see cref="Dp4aTile"/>), 8×8 accumulators a thread, K in
/// steps of 32 bytes; each thread loads its 16-byte chunks of A and B for the next step into registers while the
/// current step computes (double-buffered shared memory, one barrier a step), and stores them transposed (word = 4 k of
/// one row; rows contiguous) so a thread reads its 8 rows or columns of one k-word with two 16-byte shared loads:
/// 4 LDS.128 feed 64 dp4a. Optionally split-K over Grid.Z (<see cref="SplitK"/>) for grids too small to fill the GPU.
/// Needs 16-byte aligned operands with lda, ldb multiples of 16 bytes (K itself is arbitrary: bytes past K are masked).
/// </summary>
public sealed class GemmDp4aTiled : IGemmVariant
{
    private readonly Dp4aTile? _tile;
    private readonly bool _splitK;

    /// <summary>
    /// A fixed tile without split-K, or (<paramref name="tile"/> null) the planner's choice of tile and split
    /// (<see cref="Dp4aPlanner"/>); <paramref name="splitK"/> forces a split of K where K has at least two steps.
    /// </summary>
    public GemmDp4aTiled(Dp4aTile? tile = null, bool splitK = false)
    {
        _tile = tile;
        _splitK = splitK;
        Name = "gemm_s8s8s32_tn_dp4a" + (tile is { } t ? "_" + t.Name : string.Empty) + (splitK ? "_splitk" : string.Empty);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, GemmProblem problem, GemmOperands? operands = null)
    {
        if (problem.Lda % 16 != 0 || problem.Ldb % 16 != 0)
        {
            return $"lda ({problem.Lda}) and ldb ({problem.Ldb}) must be multiples of 16 bytes for 16-byte loads";
        }

        if ((long)problem.M * problem.Lda / 16 > int.MaxValue || (long)problem.N * problem.Ldb / 16 > int.MaxValue)
        {
            return "operands larger than 32 GiB are not supported";
        }

        if ((long)problem.M * problem.N > int.MaxValue)
        {
            return "outputs over 2^31 elements are not supported";
        }

        if (operands is { } o && !o.StartAligned(16))
        {
            return "A and B must start on a 16-byte boundary (16-byte loads)";
        }

        // 16-byte loads read whole rows of lda bytes; the buffers must hold them.
        if (operands is { } r && !r.HoldWholeRows(problem))
        {
            return $"reads whole rows: A needs M·lda = {(long)problem.M * problem.Lda} bytes and B N·ldb = {(long)problem.N * problem.Ldb}";
        }

        return null;
    }

    /// <summary>The tile and split this variant would launch for a problem on a device.</summary>
    public Dp4aPlan Plan(Int8Device device, GemmProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        var tiles = _tile is { } t ? [t] : Dp4aTile.All;
        bool allowSplit = _tile is null || _splitK;
        return Dp4aPlanner.Choose(problem.M, problem.N, problem.K, 1, device.Accelerator.NumMultiprocessors, tiles, allowSplit, _splitK);
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue =>
        Launch(device, a, b, problem, epilogue, Plan(device, problem));

    /// <summary>Launches with an explicit plan (benchmarks sweep plans with it); checks alignment first.</summary>
    internal static void Launch<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue, Dp4aPlan plan)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (!QuantArgs.Aligned16(a) || !QuantArgs.Aligned16(b))
        {
            throw new ArgumentException("The dp4a tiled GEMM needs operands that start on a 16-byte boundary.", QuantArgs.Aligned16(a) ? nameof(b) : nameof(a));
        }

        long aInt4 = (long)problem.M * problem.Lda / 16, bInt4 = (long)problem.N * problem.Ldb / 16;
        var av = a.SubView(0, aInt4 * 16).Cast<Int4>();
        var bv = b.SubView(0, bInt4 * 16).Cast<Int4>();
        var args = new Args(problem.M, problem.N, problem.K, problem.Lda / 16, problem.Ldb / 16, plan.TilesPerSplit);
        if (plan.Splits == 1)
        {
            LaunchTile(device, av, bv, args, plan, epilogue);
        }
        else
        {
            SplitK.Run(device, problem.M, problem.N, ws => LaunchTile(device, av, bv, args, plan, new AtomicAddEpilogue(ws, problem.N)), epilogue);
        }
    }

    private static void LaunchTile<TEpilogue>(Int8Device device, ArrayView<Int4> a, ArrayView<Int4> b, Args args, Dp4aPlan plan, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var tile = plan.Tile;
        var kernel = device.GetKernel($"gemm.dp4a.{tile.Name}.{typeof(TEpilogue).FullName}", acc =>
            acc.LoadStreamKernel(KernelFor<TEpilogue>(tile), LaunchBounds(tile)));
        var grid = new Index3D((args.N + tile.BlockN - 1) / tile.BlockN, (args.M + tile.BlockM - 1) / tile.BlockM, plan.Splits);
        kernel(new KernelConfig(grid, new Index3D(tile.Threads, 1, 1)), a, b, args, epilogue);
    }

    internal static Action<ArrayView<Int4>, ArrayView<Int4>, Args, TEpilogue> KernelFor<TEpilogue>(Dp4aTile tile)
        where TEpilogue : struct, IGemmEpilogue =>
        tile == Dp4aTile.T128x128x32 ? GemmDp4aTiledKernels.Kernel128x128x32
        : tile == Dp4aTile.T128x128x64 ? GemmDp4aTiledKernels.Kernel128x128x64
        : tile == Dp4aTile.T128x64x32 ? GemmDp4aTiledKernels.Kernel128x64x32
        : tile == Dp4aTile.T64x64x32 ? GemmDp4aTiledKernels.Kernel64x64x32
        : throw new ArgumentException($"No generated kernel for tile {tile}.", nameof(tile));

    /// <summary>
    /// .maxntid = threads and .minnctapersm = <see cref="Dp4aTile.ResidentBlocks"/>: ptxas keeps the kernel within 128
    /// registers a thread, so that many blocks fit an SM.
    /// </summary>
    internal static KernelSpecialization LaunchBounds(Dp4aTile tile) => new(tile.Threads, tile.ResidentBlocks);

    /// <summary>Kernel arguments: sizes, leading dimensions in 16-byte units, K steps per split.</summary>
    internal readonly record struct Args(int M, int N, int K, int Lda16, int Ldb16, int TilesPerSplit);
}
