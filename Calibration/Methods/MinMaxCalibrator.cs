using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>Min-max: T = amax, the largest finite |x| seen (nothing clipped).</summary>
public sealed class MinMaxCalibrator : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "minmax";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram) =>
        CalibrationResult.Degenerate(histogram, Name) ?? CalibrationResult.For(histogram, Name, histogram.Amax);
}
