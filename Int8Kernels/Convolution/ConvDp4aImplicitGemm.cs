using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Implicit-GEMM convolution on dp4a: the tiled dp4a GEMM (<see cref="GemmDp4aTiled"/>, tiles <see cref="Dp4aTile"/>)
/// with A gathered from the activation on the fly (M = N·P·Q output pixels, K = R·S·C/groups, Grid.Z = groups ×
/// K splits), epilogue fused (or applied after a split-K reduction). NHWC with C and C/groups multiples of 16 loads
/// 16 channels at once; other multiples of 4 (and NCHW_VECT_C) gather words.
/// </summary>
public sealed class ConvDp4aImplicitGemm : IConvVariant
{
    private readonly Dp4aTile? _tile;
    private readonly bool _splitK;

    /// <summary>
    /// A fixed tile without split-K, or (<paramref name="tile"/> null) the planner's choice of tile and split
    /// (<see cref="Dp4aPlanner"/>); <paramref name="splitK"/> forces a split of K where K has at least two steps.
    /// </summary>
    public ConvDp4aImplicitGemm(Dp4aTile? tile = null, bool splitK = false)
    {
        _tile = tile;
        _splitK = splitK;
        Name = "conv_s8_nhwc_dp4a_implicit_gemm" + (tile is { } t ? "_" + t.Name : string.Empty) + (splitK ? "_splitk" : string.Empty);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0)
    {
        if (format is not (TensorFormat.NHWC or TensorFormat.NCHW_VECT_C))
        {
            return $"input format {format} is not NHWC or NCHW_VECT_C";
        }

        if (problem.C % 4 != 0 || problem.CPerGroup % 4 != 0)
        {
            return $"C ({problem.C}) and C/groups ({problem.CPerGroup}) must be multiples of 4 (pad channels, or use the direct variant)";
        }

        return inputOffset % 4 != 0 ? "x must start on a 4-byte boundary (it is read as 4-channel words)" : null;
    }

    /// <summary>The tile and split this variant would launch for a problem on a device.</summary>
    public Dp4aPlan Plan(Int8Device device, ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        var tiles = _tile is { } t ? [t] : Dp4aTile.All;
        bool allowSplit = _tile is null || _splitK;
        int gemmM = problem.N * problem.P * problem.Q;
        return Dp4aPlanner.Choose(gemmM, problem.KPerGroup, problem.R * problem.S * problem.CPerGroup, problem.Groups, device.Accelerator.NumMultiprocessors, tiles, allowSplit, _splitK);
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue =>
        Launch(device, x, format, weights, problem, epilogue, Plan(device, problem));

    /// <summary>Launches with an explicit plan (benchmarks sweep plans with it).</summary>
    internal static void Launch<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue, Dp4aPlan plan)
        where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(problem);
        var g = ConvGeometry.From(problem);
        bool chunks = format == TensorFormat.NHWC && problem.C % 16 == 0 && problem.CPerGroup % 16 == 0 && QuantArgs.Aligned16(x);
        if (plan.Splits == 1)
        {
            Dispatch(device, x, format, chunks, weights, g, problem.Groups, plan, epilogue);
        }
        else
        {
            SplitK.Run(device, g.GemmM, g.K, ws => Dispatch(device, x, format, chunks, weights, g, problem.Groups, plan, new AtomicAddEpilogue(ws, g.K)), epilogue);
        }
    }

    private static void Dispatch<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, bool chunks, PackedConvWeights weights, ConvGeometry g, int groups, Dp4aPlan plan, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (chunks)
        {
            LaunchTile(device, x, weights, g, groups, plan, default(NhwcChunkLoader), epilogue);
        }
        else if (format == TensorFormat.NHWC)
        {
            LaunchTile(device, x, weights, g, groups, plan, default(NhwcWordLoader), epilogue);
        }
        else
        {
            LaunchTile(device, x, weights, g, groups, plan, default(VectCWordLoader), epilogue);
        }
    }

    private static void LaunchTile<TLoader, TEpilogue>(Int8Device device, ArrayView<sbyte> x, PackedConvWeights weights, ConvGeometry g, int groups, Dp4aPlan plan, TLoader loader, TEpilogue epilogue)
        where TLoader : struct, IConvTileLoader
        where TEpilogue : struct, IGemmEpilogue
    {
        var tile = plan.Tile;
        var kernel = device.GetKernel($"conv.dp4a.igemm.{tile.Name}.{typeof(TLoader).Name}.{typeof(TEpilogue).FullName}", a =>
            a.LoadStreamKernel(KernelFor<TLoader, TEpilogue>(tile), GemmDp4aTiled.LaunchBounds(tile)));
        var grid = new Index3D((g.KPerGroup + tile.BlockN - 1) / tile.BlockN, (g.GemmM + tile.BlockM - 1) / tile.BlockM, groups * plan.Splits);
        kernel(
            new KernelConfig(grid, new Index3D(tile.Threads, 1, 1)),
            x.SubView(0, x.Length / 4 * 4).Cast<int>(),
            weights.View.Cast<Int4>(),
            new Args(g, weights.Stride / 16, plan.Splits, plan.TilesPerSplit),
            loader,
            epilogue);
    }

    internal static Action<ArrayView<int>, ArrayView<Int4>, Args, TLoader, TEpilogue> KernelFor<TLoader, TEpilogue>(Dp4aTile tile)
        where TLoader : struct, IConvTileLoader
        where TEpilogue : struct, IGemmEpilogue =>
        tile == Dp4aTile.T128x128x32 ? ConvDp4aImplicitGemmKernels.Kernel128x128x32
        : tile == Dp4aTile.T128x128x64 ? ConvDp4aImplicitGemmKernels.Kernel128x128x64
        : tile == Dp4aTile.T128x64x32 ? ConvDp4aImplicitGemmKernels.Kernel128x64x32
        : tile == Dp4aTile.T64x64x32 ? ConvDp4aImplicitGemmKernels.Kernel64x64x32
        : throw new ArgumentException($"No generated kernel for tile {tile}.", nameof(tile));

    /// <summary>Kernel arguments: the geometry, the weight stride in 16-byte units, K splits and steps per split.</summary>
    internal readonly record struct Args(ConvGeometry Geometry, int Ldb16, int Splits, int TilesPerSplit);
}
