using ILGPUInt8.Calibration.Methods;

namespace ILGPUInt8.Calibration.Reports;

/// <summary>
/// One tensor of a calibration report: the table's threshold and scale, the clipped share (when the histogram is
/// known) and the INT8-vs-FP32 error on held-out data (when comparisons were added).
/// </summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Method">Method that chose the threshold (null for a tensor only compared).</param>
/// <param name="Amax">max |x| seen, when known.</param>
/// <param name="Threshold">T, when in the table.</param>
/// <param name="Scale">s = T / 127, when in the table.</param>
/// <param name="ClippedShare">Share of values with |x| &gt; T, from the histogram.</param>
/// <param name="Flags">Degenerate cases and fallbacks.</param>
/// <param name="NonFinite">NaN/±Inf values seen during calibration.</param>
/// <param name="Compared">Finite value pairs compared.</param>
/// <param name="SqnrDb">20·log10(‖x‖ / ‖x − x̂‖), when compared.</param>
/// <param name="Cosine">Cosine similarity of INT8 and FP32, when compared.</param>
/// <param name="MaxAbsError">max |x − x̂|, when compared.</param>
public sealed record TensorReportRow(
    string Name,
    string? Method,
    double? Amax,
    double? Threshold,
    float? Scale,
    double? ClippedShare,
    CalibrationFlags Flags,
    long NonFinite,
    long Compared,
    double? SqnrDb,
    double? Cosine,
    double? MaxAbsError);
