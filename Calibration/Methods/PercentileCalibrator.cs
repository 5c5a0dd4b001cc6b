using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// Percentile: T = the upper edge (b + 1)·w of the first bin b where the cumulative count reaches p % of all counts
/// (the p-th percentile of |x| at histogram resolution; default p = 99.99).
/// </summary>
public sealed class PercentileCalibrator(double percentile = 99.99) : ICalibrationMethod
{
    /// <summary>p in (0, 100].</summary>
    public double Percentile { get; } = percentile > 0 && percentile <= 100 ? percentile : throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be in (0, 100].");

    /// <inheritdoc />
    public string Name => "percentile";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        if (CalibrationResult.Degenerate(histogram, Name) is { } d)
        {
            return d;
        }

        double need = histogram.Total * (Percentile / 100.0);
        long cumulative = 0;
        var b = 0;
        for (; b < TensorHistogram.Bins; b++)
        {
            cumulative += histogram.Counts[b];
            if (cumulative >= need)
            {
                break;
            }
        }

        double threshold = Math.Min(b + 1, TensorHistogram.Bins) * histogram.BinWidth;
        return new CalibrationResult(histogram.Name, Name, histogram.Amax, threshold, CalibrationResult.Clipped(histogram, threshold));
    }
}
