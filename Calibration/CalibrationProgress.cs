namespace ILGPUInt8.Calibration;

/// <summary>The phases of a calibration run.</summary>
public enum CalibrationPhase
{
    /// <summary>Pass 1: the range (amax) of every tensor over every batch.</summary>
    Range,

    /// <summary>Pass 2: the histograms over the fixed ranges.</summary>
    Histogram,

    /// <summary>The method chooses each tensor's threshold.</summary>
    Thresholds,
}

/// <summary>Reported after each batch of each pass, and after each tensor's threshold.</summary>
/// <param name="Phase">Current phase.</param>
/// <param name="Done">Batches (or tensors, in <see cref="CalibrationPhase.Thresholds"/>) done in this phase.</param>
/// <param name="Total">Batches (or tensors) in this phase, when known.</param>
/// <param name="Tensors">Tensors observed so far.</param>
public sealed record CalibrationProgress(CalibrationPhase Phase, int Done, int? Total, int Tensors);
