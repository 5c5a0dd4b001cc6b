using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Reports;

/// <summary>The share of values a threshold clips, estimated from a histogram.</summary>
public static class Clipping
{
    /// <summary>
    /// Share of finite values with |x| &gt; T: bins entirely above T count whole, the bin that straddles T counts the
    /// part above T (values taken as uniform within a bin). 0 for an empty histogram.
    /// </summary>
    public static double Share(TensorHistogram histogram, double threshold)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.Count == 0 || histogram.Amax == 0f)
        {
            return 0;
        }

        double w = histogram.BinWidth, clipped = 0;
        var counts = histogram.Counts;
        for (var b = 0; b < counts.Length; b++)
        {
            double lo = b * w, hi = (b + 1) * w;
            if (lo >= threshold)
            {
                clipped += counts[b];
            }
            else if (hi > threshold)
            {
                clipped += counts[b] * (hi - threshold) / w;
            }
        }

        return clipped / histogram.Count;
    }
}
