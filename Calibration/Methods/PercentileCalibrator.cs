using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// Percentile: T = the p-th percentile of |x| (default p = 99.99) at histogram resolution, the upper edge (b + 1)·w of
/// the first bin b where the cumulative count reaches p % of all counts. So T &gt; 0 whenever amax &gt; 0, T = amax at
/// p = 100, at most (100 − p) % of the values are clipped, and T is at most one bin above the exact sample percentile.
/// </summary>
public sealed class PercentileCalibrator(double percentile = 99.99) : ICalibrationMethod
{
    /// <summary>p in (0, 100].</summary>
    public double Percentile { get; } = percentile > 0 && percentile <= 100 ? percentile : throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be in (0, 100].");

    /// <inheritdoc />
    public string Name => "percentile";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram) =>
        CalibrationResult.Degenerate(histogram, Name)
        ?? CalibrationResult.For(histogram, Name, ThresholdFromHistogram(histogram.Counts, histogram.BinWidth, Percentile));

    /// <summary>(b + 1) · binWidth for the first bin b with Σ_{≤b} counts ≥ p/100 · Σ counts; 0 for an empty histogram.</summary>
    public static double ThresholdFromHistogram(ReadOnlySpan<long> counts, double binWidth, double percentile)
    {
        long total = 0;
        foreach (var c in counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return 0;
        }

        double need = total * (percentile / 100.0);
        long cumulative = 0;
        for (var b = 0; b < counts.Length; b++)
        {
            cumulative += counts[b];
            if (cumulative >= need)
            {
                return (b + 1) * binWidth;
            }
        }

        return counts.Length * binWidth;
    }
}
