namespace ILGPUInt8.Kernels.FixedPoint;

/// <summary>
/// A signed 32-bit fixed-point format Qm.n: m integer bits, n = 31 − m fraction bits, value = raw · 2^−n, range
/// [−2^m, 2^m − 2^−n]. Conversions from and to double are for the host (tests, tables built at engine build time).
/// </summary>
/// <param name="FractionBits">n, 0 … 31.</param>
public readonly record struct QFormat(int FractionBits)
{
    /// <summary>m = 31 − n.</summary>
    public int IntegerBits => 31 - FractionBits;

    /// <summary>The value of one unit in the last place, 2^−n.</summary>
    public double Ulp => Math.ScaleB(1.0, -FractionBits);

    /// <summary>raw · 2^−n.</summary>
    public double ToDouble(int raw) => raw * Ulp;

    /// <summary>round_half_away(v · 2^n), saturated to int32.</summary>
    public int FromDouble(double v)
    {
        double r = Math.Round(Math.ScaleB(v, FractionBits), MidpointRounding.AwayFromZero);
        return r >= int.MaxValue ? int.MaxValue : r <= int.MinValue ? int.MinValue : (int)r;
    }

    /// <inheritdoc />
    public override string ToString() => $"Q{IntegerBits}.{FractionBits}";
}
