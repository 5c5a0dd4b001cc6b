namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// The host twin of the device histogram (the test oracle): the same range rule (finite |x| only), the same bin
/// expression (<see cref="HistogramBinning.Bin"/>), NaN and ±Inf counted apart.
/// </summary>
internal static class HistogramReference
{
    /// <summary>(max |x|, min |x|) over finite x; (0, +Inf) when there is none.</summary>
    public static (float Amax, float MinAbs) Range(ReadOnlySpan<float> x)
    {
        float amax = 0f, minAbs = float.PositiveInfinity;
        foreach (var v in x)
        {
            if (float.IsFinite(v))
            {
                float a = MathF.Abs(v);
                amax = Math.Max(amax, a);
                minAbs = Math.Min(minAbs, a);
            }
        }

        return (amax, minAbs);
    }

    /// <summary>
    /// Adds x into <paramref name="slots"/> (<see cref="HistogramBinning.Slots"/> long): the bins of finite |x| over
    /// [0, amax], then the NaN count, then the ±Inf count.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> x, float amax, Span<long> slots)
    {
        if (slots.Length != HistogramBinning.Slots)
        {
            throw new ArgumentException($"slots needs {HistogramBinning.Slots} entries, got {slots.Length}.", nameof(slots));
        }

        float range = HistogramBinning.KernelRange(amax);
        foreach (var v in x)
        {
            if (float.IsNaN(v))
            {
                slots[HistogramBinning.NaNSlot]++;
            }
            else if (float.IsInfinity(v))
            {
                slots[HistogramBinning.InfinitySlot]++;
            }
            else
            {
                slots[HistogramBinning.Bin(MathF.Abs(v), range)]++;
            }
        }
    }

    /// <summary>Two passes over host batches: the range over all of them, then the counts.</summary>
    public static TensorHistogram Build(string name, IReadOnlyList<float[]> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        float amax = 0f, minAbs = float.PositiveInfinity;
        foreach (var batch in batches)
        {
            var (a, m) = Range(batch);
            amax = Math.Max(amax, a);
            minAbs = Math.Min(minAbs, m);
        }

        var slots = new long[HistogramBinning.Slots];
        foreach (var batch in batches)
        {
            Accumulate(batch, amax, slots);
        }

        return HistogramBinning.FromSlots(name, slots, amax, minAbs, batches.Count);
    }
}
