namespace ILGPUInt8.Calibration.Methods;

/// <summary>The calibration methods by the names tables and command lines use.</summary>
public static class CalibrationMethods
{
    /// <summary>The names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["entropy", "minmax", "percentile", "mse"];

    /// <summary>The method called <paramref name="name"/> (case-insensitive); an unknown name is an ArgumentException naming the known ones.</summary>
    public static ICalibrationMethod Create(string name, double percentile = 99.99)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "entropy" => new EntropyCalibrator(),
            "minmax" => new MinMaxCalibrator(),
            "percentile" => new PercentileCalibrator(percentile),
            "mse" => new MseCalibrator(),
            _ => throw new ArgumentException($"The calibration method must be {string.Join(", ", Names)}, not '{name}'.", nameof(name)),
        };
    }
}
