using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// The tensor-core convolution with the tile chosen per problem (<see cref="Choose(Int8Device, ConvProblem)"/>):
/// 128×64 for K ≤ 64 output channels (no half-empty 128-wide tiles), else 128×128, both with 3 pipeline stages so that
/// several blocks share a multiprocessor. Measured on the H200 (Perf/NOTES.md): 128×128 beat 128×64 and 64×64 on every
/// ResNet-50 3×3 layer with K ≥ 128, even where its grid (52 tiles at 512@7) leaves multiprocessors idle.
/// A grid of under half a wave (batch 1 and small batches in the late layers: 4 tiles for ResNet's 512@7 at batch 1)
/// splits K (<see cref="Splits"/>), so that about one wave of blocks runs.
/// </summary>
public sealed class ConvMmaAuto : IConvVariant
{
    /// <summary>The registered name.</summary>
    public const string VariantName = "conv_s8_nhwc_mma_implicit_gemm";

    private readonly ConvMma _large;
    private readonly ConvMma _narrow;

    /// <summary>Creates the variant (<paramref name="allowCpuAccelerator"/>: also on the CPU accelerator, for tests).</summary>
    public ConvMmaAuto(bool allowCpuAccelerator = false)
    {
        _large = new ConvMma128x128S3(allowCpuAccelerator);
        _narrow = new ConvMma128x64S3(allowCpuAccelerator);
    }

    /// <inheritdoc />
    public string Name => VariantName;

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0) => _large.CanImplement(device, problem, format, inputOffset);

    /// <summary>The tile for a problem: 128×64 when K ≤ 64, else 128×128 (3 stages each).</summary>
    public ConvMma Choose(Int8Device device, ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        return problem.K <= 64 ? _narrow : _large;
    }

    /// <summary>The tile and K splits for a problem on a device.</summary>
    public (ConvMma Tile, int Splits) Plan(Int8Device device, ConvProblem problem)
    {
        var tile = Choose(device, problem);
        int tiles = ((problem.N * problem.P * problem.Q) + tile.TileM - 1) / tile.TileM * ((problem.K + tile.TileN - 1) / tile.TileN);
        return (tile, Splits(tiles, ConvMma.KTiles(problem), device.Accelerator.NumMultiprocessors));
    }

    /// <summary>
    /// K splits for a grid of <paramref name="tiles"/> output tiles with <paramref name="kTiles"/> k tiles on
    /// <paramref name="multiprocessors"/> SMs: 1 when the tiles fill half a wave (tiles ≥ SMs/2) or K is short (&lt; 8 k
    /// tiles), else s = min(⌈SMs / tiles⌉, ⌊kTiles / 4⌋): about one wave of blocks, each at least 4 k tiles long (the
    /// pipeline's prologue, the zeroed workspace and the atomic adds must pay for themselves).
    /// </summary>
    public static int Splits(int tiles, int kTiles, int multiprocessors)
    {
        if (tiles <= 0 || 2 * tiles >= multiprocessors || kTiles < 8)
        {
            return 1;
        }

        return Math.Max(1, Math.Min((multiprocessors + tiles - 1) / tiles, kTiles / 4));
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var (tile, splits) = Plan(device, problem);
        tile.Run(device, x, format, weights, problem, epilogue, splits);
    }
}
