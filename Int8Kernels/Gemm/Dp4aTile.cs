namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// A dp4a block tile: BlockM × BlockN outputs computed by (BlockM/8)·(BlockN/8) threads with 8×8 int32 accumulators
/// each, K consumed in steps of StepK bytes, both operands staged in double-buffered shared memory.
/// One generated kernel exists per tile (gen/gen_dp4a_tile.py: GemmDp4aTiled.T*.Generated.cs, ConvDp4aImplicitGemm.T*.Generated.cs).
/// </summary>
/// <param name="BlockM">Rows (GEMM M, output pixels) per block.</param>
/// <param name="BlockN">Columns (GEMM N, output channels) per block.</param>
/// <param name="StepK">Bytes of K per main-loop step (32 or 64).</param>
public readonly record struct Dp4aTile(int BlockM, int BlockN, int StepK)
{
    /// <summary>256 threads, 32-byte steps.</summary>
    public static readonly Dp4aTile T128x128x32 = new(128, 128, 32);

    /// <summary>256 threads, 64-byte steps (half the barriers a K).</summary>
    public static readonly Dp4aTile T128x128x64 = new(128, 128, 64);

    /// <summary>128 threads; N ≤ 64 (e.g. 64-channel convolutions) and mid-sized grids.</summary>
    public static readonly Dp4aTile T128x64x32 = new(128, 64, 32);

    /// <summary>64 threads; small grids.</summary>
    public static readonly Dp4aTile T64x64x32 = new(64, 64, 32);

    /// <summary>Every tile that has a generated kernel.</summary>
    public static IReadOnlyList<Dp4aTile> All { get; } = [T128x128x32, T128x128x64, T128x64x32, T64x64x32];

    /// <summary>Threads per block.</summary>
    public int Threads => BlockM / 8 * (BlockN / 8);

    /// <summary>Blocks of this tile that fit on one SM by registers (128 a thread, 64K a SM).</summary>
    public int ResidentBlocks => Math.Max(1, 65536 / (128 * Threads));

    /// <summary>Name part, e.g. <c>128x128x32</c>.</summary>
    public string Name => $"{BlockM}x{BlockN}x{StepK}";

    /// <summary>K steps covering <paramref name="k"/> bytes.</summary>
    public int Steps(int k) => Math.Max(1, (k + StepK - 1) / StepK);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>How a dp4a GEMM or convolution is launched: the tile and the split of K over Grid.Z.</summary>
/// <param name="Tile">Block tile.</param>
/// <param name="Splits">Number of K ranges (1: no split-K; otherwise partial sums meet in an int32 workspace).</param>
/// <param name="TilesPerSplit">K steps per range (the last range may be shorter, none is empty).</param>
public readonly record struct Dp4aPlan(Dp4aTile Tile, int Splits, int TilesPerSplit)
{
    /// <summary>A plan with about <paramref name="splits"/> ranges, normalised so that none is empty.</summary>
    public static Dp4aPlan Create(Dp4aTile tile, int k, int splits)
    {
        int steps = tile.Steps(k);
        int s = Math.Clamp(splits, 1, steps);
        int per = (steps + s - 1) / s;
        return new Dp4aPlan(tile, (steps + per - 1) / per, per);
    }

    /// <inheritdoc />
    public override string ToString() => Splits == 1 ? Tile.Name : $"{Tile.Name} splitk{Splits}";
}
