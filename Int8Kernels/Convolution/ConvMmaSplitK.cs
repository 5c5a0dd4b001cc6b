using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// A tensor-core convolution tile with K split a fixed number of ways (<c>…_splitkS</c>): block b computes output tile
/// b mod T over k tiles [s·⌈kTiles/S⌉, +⌈kTiles/S⌉), the partial int32 sums meet in a zeroed workspace by atomic adds and
/// one elementwise pass applies the epilogue (<see cref="SplitK"/>), so the result is the same integer sum, bit for bit.
/// <see cref="ConvMmaAuto"/> picks its splits by a rule; these fixed splits exist so that build-time tactic timing can
/// try them on the small grids of late layers and small batches. A split that would leave a part under 2 k tiles is
/// refused.
/// </summary>
public sealed class ConvMmaSplitK : IConvVariant
{
    private readonly ConvMma _tile;

    /// <summary>Creates the variant: <paramref name="tile"/> with K split <paramref name="splits"/> ways.</summary>
    internal ConvMmaSplitK(ConvMma tile, int splits)
    {
        ArgumentNullException.ThrowIfNull(tile);
        ArgumentOutOfRangeException.ThrowIfLessThan(splits, 2);
        _tile = tile;
        Splits = splits;
    }

    /// <summary>How many ways K is split.</summary>
    public int Splits { get; }

    /// <inheritdoc />
    public string Name => $"{_tile.Name}_splitk{Splits}";

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0)
    {
        var reason = _tile.CanImplement(device, problem, format, inputOffset);
        if (reason is not null)
        {
            return reason;
        }

        int kTiles = ConvMma.KTiles(problem);
        return kTiles < 2 * Splits ? $"K = R·S·C is {kTiles} k tiles: splitting it {Splits} ways leaves parts under 2 k tiles" : null;
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue =>
        _tile.Run(device, x, format, weights, problem, epilogue, Splits);
}
