namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// A method's answer for one tensor: the threshold T (values beyond ±T saturate), the scale s = T / 127 as float32
/// (<see cref="ScaleOf"/>) and flags for degenerate tensors. Never NaN: degenerate tensors get defined values.
/// </summary>
/// <param name="Method">Name of the method that produced it.</param>
/// <param name="Threshold">T, finite and &gt; 0.</param>
/// <param name="Scale">s = (float)(T / 127).</param>
/// <param name="Flags">Degenerate cases and fallbacks.</param>
public sealed record CalibrationResult(string Method, double Threshold, float Scale, CalibrationFlags Flags)
{
    /// <summary>Threshold of a tensor with nothing to calibrate (empty or all zero): 127, so that the scale is 1.</summary>
    public const double DegenerateThreshold = 127.0;

    /// <summary>Creates a result with s = T / 127.</summary>
    public static CalibrationResult FromThreshold(string method, double threshold, CalibrationFlags flags = CalibrationFlags.None)
    {
        if (!double.IsFinite(threshold) || threshold <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "A threshold must be finite and > 0.");
        }

        return new CalibrationResult(method, threshold, ScaleOf(threshold), flags);
    }

    /// <summary>s = T / 127, divided in double and rounded once to float32 (the value TensorRT's table stores).</summary>
    public static float ScaleOf(double threshold) => (float)(threshold / 127.0);
}
