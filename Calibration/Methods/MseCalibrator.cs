using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// MSE: T among the candidates T_i = (i + 0.5)·w, i = 127..2047, minimising the expected squared error over the
/// histogram with values at bin centres x_b = (b + 0.5)·w weighted by counts:
/// err(x) = (x − T)² when x &gt; T (clipped), else (x − s·round_half_even(x / s))² with s = T / 127.
/// </summary>
public sealed class MseCalibrator : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "mse";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        if (CalibrationResult.Degenerate(histogram, Name) is { } d)
        {
            return d;
        }

        double w = histogram.BinWidth;
        double best = double.PositiveInfinity, bestT = histogram.Amax;
        for (var i = 127; i < TensorHistogram.Bins; i++)
        {
            double t = Math.Min((i + 0.5) * w, histogram.Amax);
            double error = Error(histogram, t);
            if (error < best)
            {
                best = error;
                bestT = t;
            }
        }

        return new CalibrationResult(histogram.Name, Name, histogram.Amax, bestT, CalibrationResult.Clipped(histogram, bestT));
    }

    /// <summary>Σ_b count_b · err((b + 0.5)·w) for threshold t.</summary>
    public static double Error(TensorHistogram histogram, double t)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        double w = histogram.BinWidth, s = t / 127.0, sum = 0;
        for (var b = 0; b < TensorHistogram.Bins; b++)
        {
            long c = histogram.Counts[b];
            if (c == 0)
            {
                continue;
            }

            double x = (b + 0.5) * w;
            double e = x > t ? x - t : x - (s * Math.Round(x / s, MidpointRounding.ToEven));
            sum += c * e * e;
        }

        return sum;
    }
}
