using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// One way of choosing a tensor's threshold from its |x| histogram (entropy, min-max, percentile, MSE).
/// Implementations are stateless and thread-safe; degenerate histograms give defined, flagged results.
/// </summary>
public interface ICalibrationMethod
{
    /// <summary>Short name, e.g. "entropy", recorded in tables and reports.</summary>
    string Name { get; }

    /// <summary>The threshold and scale for one tensor.</summary>
    CalibrationResult Compute(TensorHistogram histogram);
}
