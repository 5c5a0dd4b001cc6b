namespace ILGPUInt8.Calibration.Histograms;

/// <summary>A tensor's finite |x| range from calibration pass 1: the largest and the smallest finite |x| (float bits kept exactly).</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Amax">Largest finite |x| (0 when there was none).</param>
/// <param name="MinAbs">Smallest finite |x| (+Inf when there was none).</param>
public readonly record struct FiniteRange(string Name, float Amax, float MinAbs);

/// <summary>
/// How calibrations split over parts of the data (a cluster's shards, the devices of one host) come together exactly:
/// pass-1 ranges merge by max and min, pass-2 histograms over the merged ranges by addition. Max, min and integer sums
/// commute, so any split gives the bits one device gives over all the data.
/// </summary>
public static class HistogramMerge
{
    /// <summary>
    /// The ranges of all parts merged: amax = max, min = min per tensor, tensors in the order of the first part that saw them.
    /// </summary>
    public static IReadOnlyList<FiniteRange> Ranges(IEnumerable<IEnumerable<FiniteRange>> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var merged = new Dictionary<string, FiniteRange>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var part in parts)
        {
            foreach (var t in part)
            {
                if (merged.TryGetValue(t.Name, out var m))
                {
                    merged[t.Name] = m with { Amax = Math.Max(m.Amax, t.Amax), MinAbs = Math.Min(m.MinAbs, t.MinAbs) };
                }
                else
                {
                    merged[t.Name] = t;
                    order.Add(t.Name);
                }
            }
        }

        return [.. order.Select(n => merged[n])];
    }

    /// <summary>Every part's histograms summed per tensor (<see cref="TensorHistogram.Merge"/>), in the order of the first part's tensors.</summary>
    public static IReadOnlyList<TensorHistogram> Histograms(IEnumerable<IReadOnlyList<TensorHistogram>> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var merged = new Dictionary<string, TensorHistogram>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var part in parts)
        {
            foreach (var h in part)
            {
                if (merged.TryGetValue(h.Name, out var m))
                {
                    merged[h.Name] = m.Merge(h);
                }
                else
                {
                    merged[h.Name] = h;
                    order.Add(h.Name);
                }
            }
        }

        return [.. order.Select(n => merged[n])];
    }
}
