namespace ILGPUInt8.Perf.Harness;

/// <summary>
/// One measured row: what ran, its median time, its throughput and (where a peer or ceiling was measured
/// in the same run) the ratio to it.
/// </summary>
/// <param name="Benchmark">Benchmark name.</param>
/// <param name="Case">Case within it (shape, variant).</param>
/// <param name="MedianMs">Median time of one run in milliseconds.</param>
/// <param name="Throughput">Throughput value.</param>
/// <param name="Unit">Throughput unit (TOPS, GB/s, img/s).</param>
/// <param name="Ratio">Ratio to <paramref name="RatioTo"/> (null when none).</param>
/// <param name="RatioTo">What the ratio compares against.</param>
public sealed record BenchResult(string Benchmark, string Case, double MedianMs, double Throughput, string Unit, double? Ratio = null, string? RatioTo = null)
{
    /// <summary>Fastest repeat of the timing whose median this row reports (set by <see cref="BenchContext.Add"/>), or null.</summary>
    public double? MinMs { get; init; }

    /// <summary>Slowest repeat of that timing, or null.</summary>
    public double? MaxMs { get; init; }
}
