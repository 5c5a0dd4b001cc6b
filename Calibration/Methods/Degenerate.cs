using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// The cases every method handles the same way, before its own search:
/// no finite value (Empty) or amax = 0 (AllZero) → T = 127, s = 1; all |x| equal (SingleValue) and NaN/Inf seen
/// (NonFinite) are flags only; a threshold that came out ≤ 0 or not finite → T = amax with Fallback.
/// </summary>
internal static class Degenerate
{
    /// <summary>The flags that describe the tensor itself.</summary>
    public static CalibrationFlags Classify(TensorHistogram h)
    {
        var flags = CalibrationFlags.None;
        if (h.Count == 0)
        {
            flags |= CalibrationFlags.Empty;
        }
        else if (h.Amax == 0f)
        {
            flags |= CalibrationFlags.AllZero;
        }
        else if (h.MinAbs == h.Amax)
        {
            flags |= CalibrationFlags.SingleValue;
        }

        if (h.NonFiniteCount > 0)
        {
            flags |= CalibrationFlags.NonFinite;
        }

        return flags;
    }

    /// <summary>The defined result for Empty / AllZero tensors, or null when the method must search.</summary>
    public static CalibrationResult? Settle(string method, TensorHistogram h, out CalibrationFlags flags)
    {
        flags = Classify(h);
        return (flags & (CalibrationFlags.Empty | CalibrationFlags.AllZero)) != 0
            ? CalibrationResult.FromThreshold(method, CalibrationResult.DegenerateThreshold, flags)
            : null;
    }

    /// <summary>The method's threshold when it is finite and &gt; 0, else amax flagged Fallback.</summary>
    public static CalibrationResult Finish(string method, TensorHistogram h, double threshold, CalibrationFlags flags) =>
        double.IsFinite(threshold) && threshold > 0
            ? CalibrationResult.FromThreshold(method, threshold, flags)
            : CalibrationResult.FromThreshold(method, h.Amax, flags | CalibrationFlags.Fallback);
}
