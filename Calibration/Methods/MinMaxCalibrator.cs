using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>Min-max: T = amax (nothing clipped).</summary>
public sealed class MinMaxCalibrator : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "minmax";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram) =>
        CalibrationResult.Degenerate(histogram, Name) ?? new CalibrationResult(histogram.Name, Name, histogram.Amax, histogram.Amax, 0);
}
