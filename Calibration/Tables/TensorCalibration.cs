using ILGPUInt8.Calibration.Methods;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// One tensor's entry of a calibration table: the scale TensorRT's cache holds, and what the JSON keeps beside it.
/// Entries read from a TensorRT cache know only the scale (threshold = 127 · scale, amax unknown).
/// </summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Method">Method that chose the threshold.</param>
/// <param name="Threshold">T: values beyond ±T saturate.</param>
/// <param name="Scale">s = T / 127 as float32.</param>
/// <param name="Amax">max |x| seen, when known.</param>
/// <param name="Bins">Histogram bins (0 when unknown).</param>
/// <param name="Batches">Batches observed (0 when unknown).</param>
/// <param name="Count">Finite values observed (0 when unknown).</param>
/// <param name="NonFinite">NaN and ±Inf values observed.</param>
/// <param name="Flags">Degenerate cases and fallbacks.</param>
public sealed record TensorCalibration(
    string Name,
    string Method,
    double Threshold,
    float Scale,
    double? Amax = null,
    int Bins = 0,
    int Batches = 0,
    long Count = 0,
    long NonFinite = 0,
    CalibrationFlags Flags = CalibrationFlags.None);
