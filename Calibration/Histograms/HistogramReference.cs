namespace ILGPUInt8.Calibration.Histograms;

/// <summary>The host twin of the device histogram: same amax rule, same bin expression, same NaN/Inf handling.</summary>
public static class HistogramReference
{
    /// <summary>Two passes over host batches: amax of finite |x|, then counts.</summary>
    public static TensorHistogram Build(string name, IReadOnlyList<float[]> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        float amax = 0;
        foreach (var batch in batches)
        {
            foreach (var v in batch)
            {
                if (float.IsFinite(v) && MathF.Abs(v) > amax)
                {
                    amax = MathF.Abs(v);
                }
            }
        }

        var counts = new long[TensorHistogram.Bins];
        long nan = 0, inf = 0;
        foreach (var batch in batches)
        {
            foreach (var v in batch)
            {
                if (float.IsNaN(v))
                {
                    nan++;
                }
                else if (float.IsInfinity(v))
                {
                    inf++;
                }
                else
                {
                    counts[amax > 0 ? TensorHistogram.BinOf(v, amax) : 0]++;
                }
            }
        }

        return new TensorHistogram(name, amax, counts, nan, inf, batches.Count);
    }
}
