namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Latency statistics of timed runs (milliseconds per batch) and the throughput they give. Percentiles are nearest-rank:
/// p-th = sorted[ceil(p / 100 · n) − 1], so p100 is the maximum and every reported value is a measured one.
/// </summary>
/// <param name="Count">Timed runs.</param>
/// <param name="TotalSeconds">Their summed time.</param>
/// <param name="Min">Fastest run.</param>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Median">Middle value (the mean of the two middle ones for an even count).</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Slowest run.</param>
public sealed record LatencyStats(int Count, double TotalSeconds, double Min, double Mean, double Median, double P90, double P95, double P99, double Max)
{
    /// <summary>The statistics of <paramref name="milliseconds"/> (at least one value).</summary>
    public static LatencyStats Of(IReadOnlyCollection<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        if (milliseconds.Count == 0)
        {
            throw new ArgumentException("No timed runs.", nameof(milliseconds));
        }

        var sorted = milliseconds.Order().ToArray();
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        return new LatencyStats(n, sorted.Sum() / 1000, sorted[0], sorted.Average(), median,
            Percentile(sorted, 90), Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1]);
    }

    /// <summary>Nearest-rank percentile of sorted values: sorted[ceil(p / 100 · n) − 1].</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Images per second over all timed runs: batch · count / total seconds.</summary>
    public double ImagesPerSecond(int batch) => TotalSeconds > 0 ? batch * Count / TotalSeconds : double.PositiveInfinity;
}
