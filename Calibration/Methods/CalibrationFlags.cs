namespace ILGPUInt8.Calibration.Methods;

/// <summary>What a calibration result says about its tensor besides the threshold (several can hold).</summary>
[Flags]
public enum CalibrationFlags
{
    /// <summary>A normal tensor and a threshold the method chose.</summary>
    None = 0,

    /// <summary>No finite value was seen (an empty tensor, or only NaN/Inf): threshold 127, scale 1.</summary>
    Empty = 1,

    /// <summary>Every finite value is 0: threshold 127, scale 1 (any scale quantizes 0 to 0).</summary>
    AllZero = 2,

    /// <summary>Every finite |x| is the same non-zero value: any method's threshold is that value's bin.</summary>
    SingleValue = 4,

    /// <summary>NaN or ±Inf values were seen; they were counted apart and did not affect the threshold.</summary>
    NonFinite = 8,

    /// <summary>The method could not decide (no data for it) and a defined fallback was used.</summary>
    Fallback = 16,

    /// <summary>A weight output channel was all zero: its scale is 1.</summary>
    ZeroChannel = 32,
}
