using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>A way of choosing a tensor's symmetric threshold T (scale = T / 127) from its |x| histogram.</summary>
public interface ICalibrationMethod
{
    /// <summary>Method name as written in tables (e.g. "entropy").</summary>
    string Name { get; }

    /// <summary>The threshold; degenerate histograms get a defined result, flagged, never NaN.</summary>
    CalibrationResult Compute(TensorHistogram histogram);
}

/// <summary>What a method chose for one tensor.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Method">Method name.</param>
/// <param name="Amax">The histogram's range.</param>
/// <param name="Threshold">Chosen T (> 0).</param>
/// <param name="ClippedShare">Share of counted values above T.</param>
/// <param name="Note">Why the result is a default (empty or all-zero tensor), else null.</param>
public sealed record CalibrationResult(string Name, string Method, double Amax, double Threshold, double ClippedShare, string? Note = null)
{
    /// <summary>scale = T / 127 (float).</summary>
    public float Scale => (float)(Threshold / 127.0);

    /// <summary>
    /// The result for a tensor no method can decide on: empty or all zero. T = 127 so the scale is 1 (calibration.md:
    /// "scale 1 for an all-zero tensor"), flagged in <see cref="Note"/>.
    /// </summary>
    public static CalibrationResult? Degenerate(TensorHistogram h, string method)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.Total == 0)
        {
            return new CalibrationResult(h.Name, method, h.Amax, 127.0, 0, "empty: no finite values; scale 1");
        }

        return h.Amax == 0 ? new CalibrationResult(h.Name, method, 0, 127.0, 0, "all zero; scale 1") : null;
    }

    /// <summary>Share of counts in bins whose lower edge is ≥ T.</summary>
    public static double Clipped(TensorHistogram h, double threshold)
    {
        ArgumentNullException.ThrowIfNull(h);
        long total = h.Total, above = 0;
        for (var b = 0; b < TensorHistogram.Bins; b++)
        {
            if (b * h.BinWidth >= threshold)
            {
                above += h.Counts[b];
            }
        }

        return total == 0 ? 0 : above / (double)total;
    }
}
