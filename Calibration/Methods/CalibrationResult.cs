using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// What a method chose for one tensor: the threshold T (values beyond ±T saturate; finite and &gt; 0, never NaN), the
/// scale s = T / 127, the share of values T clips, and flags (with a note) for degenerate tensors.
/// </summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Method">Method name.</param>
/// <param name="Amax">The histogram's range.</param>
/// <param name="Threshold">Chosen T (&gt; 0).</param>
/// <param name="ClippedShare">Share of finite values above T (<see cref="Clipped"/>).</param>
/// <param name="Flags">Degenerate cases and fallbacks.</param>
/// <param name="Note">Why the result is a default or what is odd about the tensor, else null.</param>
public sealed record CalibrationResult(string Name, string Method, double Amax, double Threshold, double ClippedShare, CalibrationFlags Flags = CalibrationFlags.None, string? Note = null)
{
    /// <summary>Threshold of a tensor with nothing to calibrate (empty or all zero): 127, so that the scale is 1.</summary>
    public const double DegenerateThreshold = 127.0;

    /// <summary>s = T / 127 (<see cref="ScaleOf"/>).</summary>
    public float Scale => ScaleOf(Threshold);

    /// <summary>s = T / 127, divided in double and rounded once to float32 (the value TensorRT's cache stores).</summary>
    public static float ScaleOf(double threshold) => (float)(threshold / 127.0);

    /// <summary>
    /// The result for a tensor no method can decide on, else null: no finite value (Empty) or every finite value 0
    /// (AllZero) → T = 127, scale 1 (calibration.md: "scale 1 for an all-zero tensor"), flagged, with a note.
    /// </summary>
    public static CalibrationResult? Degenerate(TensorHistogram h, string method)
    {
        ArgumentNullException.ThrowIfNull(h);
        var flags = Classify(h);
        if ((flags & CalibrationFlags.Empty) != 0)
        {
            return new CalibrationResult(h.Name, method, h.Amax, DegenerateThreshold, 0, flags, "empty: no finite values; scale 1");
        }

        return (flags & CalibrationFlags.AllZero) != 0
            ? new CalibrationResult(h.Name, method, 0, DegenerateThreshold, 0, flags, "all zero; scale 1")
            : null;
    }

    /// <summary>
    /// A method's result for a searchable histogram: T capped at amax; a T that came out ≤ 0 or not finite is replaced
    /// by amax and flagged Fallback. Flags SingleValue and NonFinite come from the histogram.
    /// </summary>
    public static CalibrationResult For(TensorHistogram h, string method, double threshold)
    {
        ArgumentNullException.ThrowIfNull(h);
        var flags = Classify(h);
        string? note = null;
        if (!(threshold > 0) || !double.IsFinite(threshold))
        {
            flags |= CalibrationFlags.Fallback;
            note = $"the method gave T = {threshold}; amax used";
            threshold = h.Amax;
        }

        threshold = Math.Min(threshold, h.Amax);
        if ((flags & CalibrationFlags.SingleValue) != 0)
        {
            note ??= "every finite |x| is the same value";
        }

        return new CalibrationResult(h.Name, method, h.Amax, threshold, Clipped(h, threshold), flags, note);
    }

    /// <summary>
    /// Share of finite values with |x| &gt; T, at bin resolution: bins entirely above T count whole, the bin that
    /// straddles T counts the part above T (values taken as uniform within a bin). 0 for an empty or zero-range histogram.
    /// </summary>
    public static double Clipped(TensorHistogram h, double threshold)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.Total == 0 || h.Amax == 0f)
        {
            return 0;
        }

        double w = h.BinWidth, clipped = 0;
        for (var b = 0; b < TensorHistogram.Bins; b++)
        {
            double lo = b * w, hi = (b + 1) * w;
            if (lo >= threshold)
            {
                clipped += h.Counts[b];
            }
            else if (hi > threshold)
            {
                clipped += h.Counts[b] * (hi - threshold) / w;
            }
        }

        return clipped / h.Total;
    }

    /// <summary>The flags that describe the tensor itself: Empty, AllZero, SingleValue, NonFinite.</summary>
    public static CalibrationFlags Classify(TensorHistogram h)
    {
        ArgumentNullException.ThrowIfNull(h);
        var flags = h.Total == 0 ? CalibrationFlags.Empty
            : h.Amax == 0f ? CalibrationFlags.AllZero
            : h.MinAbs == h.Amax ? CalibrationFlags.SingleValue
            : CalibrationFlags.None;
        return h.NonFiniteCount > 0 ? flags | CalibrationFlags.NonFinite : flags;
    }
}
