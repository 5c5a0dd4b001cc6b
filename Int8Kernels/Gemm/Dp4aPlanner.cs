namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Picks a dp4a tile and split-K factor for a problem from a small cost model of the SIMT kernels:
/// <code>
/// blocks  = ⌈M/BM⌉·⌈N/BN⌉·batches·splits,   perSM = ⌈blocks / SMs⌉
/// warps   = min(perSM, resident(tile))·threads/32                       (resident by 128 registers a thread)
/// cycles  = perSM·BM·BN·BK·stepsPerSplit / (256 MAC/clk/SM · efficiency(warps) · tileFactor)
///         + (splits &gt; 1 ? launches + workspace bytes / (1500 B/clk) : 0)
/// </code>
/// and takes the cheapest (ties: the earlier tile of <see cref="Dp4aTile.All"/>). The tile factors were fitted to H200
/// measurements (Perf gemm conv --sweep); on the sweep the pick was within 1.00-1.13 of the best plan of each shape.
/// </summary>
public static class Dp4aPlanner
{
    // Fraction of the dp4a rate reached with this many resident warps on an SM (piecewise linear).
    private static readonly (int Warps, double Efficiency)[] WarpEfficiency = [(1, 0.3), (2, 0.5), (4, 0.75), (8, 0.92), (16, 1.0)];

    /// <summary>The cheapest plan over <paramref name="tiles"/> (default all) and split counts (1 only when <paramref name="allowSplit"/> is false).</summary>
    public static Dp4aPlan Choose(int m, int n, int k, int batches, int multiprocessors, IReadOnlyList<Dp4aTile>? tiles = null, bool allowSplit = true, bool requireSplit = false)
    {
        tiles ??= Dp4aTile.All;
        Dp4aPlan? best = null;
        double bestCost = double.MaxValue;
        foreach (var tile in tiles)
        {
            int maxSplits = allowSplit ? Math.Min(16, tile.Steps(k)) : 1;
            for (int s = requireSplit ? Math.Min(2, maxSplits) : 1; s <= maxSplits; s++)
            {
                var plan = Dp4aPlan.Create(tile, k, s);
                if (plan.Splits != s || (s > 1 && plan.TilesPerSplit * tile.StepK < 128 && !requireSplit))
                {
                    continue;
                }

                double cost = Cycles(plan, m, n, batches, Math.Max(1, multiprocessors));
                if (cost < bestCost)
                {
                    bestCost = cost;
                    best = plan;
                }
            }
        }

        return best ?? Dp4aPlan.Create(tiles[0], k, 1);
    }

    /// <summary>The model's estimate in SM clock cycles.</summary>
    public static double Cycles(Dp4aPlan plan, int m, int n, int batches, int multiprocessors)
    {
        var t = plan.Tile;
        long blocks = (long)((m + t.BlockM - 1) / t.BlockM) * ((n + t.BlockN - 1) / t.BlockN) * batches * plan.Splits;
        long perSm = (blocks + multiprocessors - 1) / multiprocessors;
        int resident = t.ResidentBlocks;
        double warps = Math.Min(perSm, resident) * t.Threads / 32.0;
        double efficiency = Efficiency(warps) * TileFactor(t);
        double cycles = perSm * (double)t.BlockM * t.BlockN * t.StepK * plan.TilesPerSplit / (256.0 * efficiency);
        if (plan.Splits > 1)
        {
            // Two extra launches (zeroing, finishing) and the workspace: zeroed, atomically added, read, output written.
            double bytes = 4.0 * m * n * batches * (3 + (0.5 * plan.Splits));
            cycles += 12000 + (bytes / 1500.0);
        }

        return cycles;
    }

    // Measured on the H200 (Perf gemm conv --sweep, 2026-11-28): 128×64×32 ≈ 128×128×32 (108.8 vs 102.4 TOPS at 8192³),
    // 64-byte steps 0.9 (95.7), 64×64 0.88 (94.9 at 8192³, and behind on every mid-sized shape).
    private static double TileFactor(Dp4aTile t) => t.StepK >= 64 ? 0.9 : t.Threads < 128 ? 0.88 : 1.0;

    private static double Efficiency(double warps)
    {
        if (warps <= WarpEfficiency[0].Warps)
        {
            return WarpEfficiency[0].Efficiency;
        }

        for (int i = 1; i < WarpEfficiency.Length; i++)
        {
            var (w1, e1) = WarpEfficiency[i];
            if (warps <= w1)
            {
                var (w0, e0) = WarpEfficiency[i - 1];
                return e0 + ((e1 - e0) * (warps - w0) / (w1 - w0));
            }
        }

        return WarpEfficiency[^1].Efficiency;
    }
}
