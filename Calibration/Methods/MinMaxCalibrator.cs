using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>Min-max calibration: T = amax = max |x| over the finite values seen (nothing is clipped).</summary>
public sealed class MinMaxCalibrator : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "minmax";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return Degenerate.Settle(Name, histogram, out var flags) ?? Degenerate.Finish(Name, histogram, histogram.Amax, flags);
    }
}
