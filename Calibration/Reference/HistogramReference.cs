using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Reference;

/// <summary>
/// The host specification of the two device passes (the test oracle): the finite |x| range, then the 2048-bin
/// histogram with <see cref="HistogramBinning.Bin"/> and NaN / +Inf / -Inf counted apart.
/// </summary>
public static class HistogramReference
{
    /// <summary>(max |x|, min |x|) over finite x; (0, +Inf) when there is none.</summary>
    public static (float Amax, float MinAbs) Range(ReadOnlySpan<float> x)
    {
        float amax = 0f, minAbs = float.PositiveInfinity;
        foreach (var v in x)
        {
            if (float.IsFinite(v))
            {
                float a = Math.Abs(v);
                amax = Math.Max(amax, a);
                minAbs = Math.Min(minAbs, a);
            }
        }

        return (amax, minAbs);
    }

    /// <summary>
    /// Adds x into counts: slots 0..2047 the bins of finite |x| over [0, amax], then NaN, +Inf, -Inf
    /// (<paramref name="counts"/> has <c>HistogramBinning.Bins + 3</c> slots).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> x, float amax, Span<long> counts)
    {
        if (counts.Length != HistogramBinning.Slots)
        {
            throw new ArgumentException($"counts needs {HistogramBinning.Slots} slots, got {counts.Length}.", nameof(counts));
        }

        float range = HistogramBinning.KernelRange(amax);
        foreach (var v in x)
        {
            if (float.IsNaN(v))
            {
                counts[HistogramBinning.NaNSlot]++;
            }
            else if (float.IsPositiveInfinity(v))
            {
                counts[HistogramBinning.PositiveInfinitySlot]++;
            }
            else if (float.IsNegativeInfinity(v))
            {
                counts[HistogramBinning.NegativeInfinitySlot]++;
            }
            else
            {
                counts[HistogramBinning.Bin(Math.Abs(v), range)]++;
            }
        }
    }

    /// <summary>Both passes over a sequence of batches of one tensor: the range over all, then the histogram.</summary>
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

        return FromSlots(name, slots, amax, minAbs, batches.Count);
    }

    /// <summary>A histogram from the device slot layout (bins, NaN, +Inf, -Inf).</summary>
    internal static TensorHistogram FromSlots(string name, ReadOnlySpan<long> slots, float amax, float minAbs, int batches) =>
        new(name, slots[..HistogramBinning.Bins], amax, minAbs, slots[HistogramBinning.NaNSlot],
            slots[HistogramBinning.PositiveInfinitySlot], slots[HistogramBinning.NegativeInfinitySlot], batches);
}
