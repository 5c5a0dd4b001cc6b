using System.Globalization;
using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// Percentile calibration: T = the p-th percentile of |x| (default 99.99) read from the histogram as the upper edge
/// of the bin that holds it: with C(k) = Σ_{b&lt;k} counts[b] and N = C(n), the first bin b with C(b+1) ≥ p/100 · N
/// gives T = (b + 1) · w. So T &gt; 0 whenever amax &gt; 0, T ≤ amax, T = amax at p = 100, at most (100 − p)% of the
/// values are clipped, and T is within one bin width above the exact sample percentile.
/// </summary>
public sealed class PercentileCalibrator : ICalibrationMethod
{
    /// <summary>Creates the method for percentile <paramref name="percentile"/> in (0, 100].</summary>
    public PercentileCalibrator(double percentile = 99.99)
    {
        if (!(percentile > 0 && percentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be in (0, 100].");
        }

        Percentile = percentile;
    }

    /// <summary>p, in percent.</summary>
    public double Percentile { get; }

    /// <inheritdoc />
    public string Name => "percentile-" + Percentile.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return Degenerate.Settle(Name, histogram, out var flags)
            ?? Degenerate.Finish(Name, histogram, ThresholdFromHistogram(histogram.Counts, histogram.BinWidth, Percentile), flags);
    }

    /// <summary>(b + 1) · binWidth for the first bin b with C(b+1) ≥ p/100 · N; 0 for an empty histogram.</summary>
    public static double ThresholdFromHistogram(ReadOnlySpan<long> counts, double binWidth, double percentile)
    {
        long total = 0;
        foreach (var v in counts)
        {
            total += v;
        }

        if (total == 0)
        {
            return 0;
        }

        double target = percentile / 100.0 * total;
        long cumulative = 0;
        for (var b = 0; b < counts.Length; b++)
        {
            cumulative += counts[b];
            if (cumulative >= target && counts[b] > 0)
            {
                return (b + 1) * binWidth;
            }
        }

        return counts.Length * binWidth;
    }
}
