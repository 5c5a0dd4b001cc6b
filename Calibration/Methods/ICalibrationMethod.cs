using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// A way of choosing a tensor's symmetric threshold T (scale = T / 127) from its |x| histogram: entropy, min-max,
/// percentile, MSE. Implementations are stateless and thread-safe.
/// </summary>
public interface ICalibrationMethod
{
    /// <summary>Method name as written in tables (e.g. "entropy").</summary>
    string Name { get; }

    /// <summary>The threshold; degenerate histograms get a defined result, flagged, never NaN.</summary>
    CalibrationResult Compute(TensorHistogram histogram);
}
