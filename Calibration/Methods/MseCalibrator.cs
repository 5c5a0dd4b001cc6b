using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// MSE calibration: T minimising the squared quantization error over the histogram, every value taken at its bin
/// centre x_b = (b + ½)·w and weighted by its count, values beyond T clipped to T.
/// Candidates are the bin edges T_i = i·w, i = 1 … n (T_n = amax). With s = T/127 and
/// q_b = min(round_half_even(x_b / s), 127), the error of bin b is x_b − s·q_b = w·r_b / 254 with the integer
/// r_b = 127·(2b+1) − 2i·q_b, so E(i) = (w/254)² · Σ_b counts[b]·r_b² is computed exactly in 128-bit integers and
/// the smallest i with the least error wins (no float ties). Bins past T (q_b = 127) are summed in O(1) from suffix
/// sums of counts·(2b+1)^k, k = 0, 1, 2; bins below T one by one (O(n²/2) in all, a few ms a tensor).
/// </summary>
public sealed class MseCalibrator : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "mse";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return Degenerate.Settle(Name, histogram, out var flags)
            ?? Degenerate.Finish(Name, histogram, ThresholdFromHistogram(histogram.Counts, histogram.BinWidth), flags);
    }

    /// <summary>T = i*·binWidth for the error-minimising edge i*; 0 for an empty histogram.</summary>
    public static double ThresholdFromHistogram(ReadOnlySpan<long> counts, double binWidth) => Search(counts).Index * binWidth;

    /// <summary>
    /// The best edge index i* (0 for an empty histogram) and its mean squared error per value in units of w²
    /// (multiply by binWidth² for the MSE).
    /// </summary>
    public static (int Index, double MeanSquaredErrorInBins) Search(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        // Suffix sums over b ≥ k of counts·(2b+1)^e, e = 0, 1, 2 (exact in 128 bits).
        var a0 = new Int128[n + 1];
        var a1 = new Int128[n + 1];
        var a2 = new Int128[n + 1];
        var nonZero = new List<int>();
        for (int b = n - 1; b >= 0; b--)
        {
            if (counts[b] < 0)
            {
                throw new ArgumentException($"counts[{b}] = {counts[b]} is negative.", nameof(counts));
            }

            Int128 c = counts[b];
            long u = (2L * b) + 1;
            a0[b] = a0[b + 1] + c;
            a1[b] = a1[b + 1] + (c * u);
            a2[b] = a2[b + 1] + (c * u * u);
        }

        for (var b = 0; b < n; b++)
        {
            if (counts[b] > 0)
            {
                nonZero.Add(b);
            }
        }

        if (a0[0] == 0)
        {
            return (0, 0);
        }

        Int128 best = Int128.MaxValue;
        int bestIndex = n;
        for (int i = 1; i <= n; i++)
        {
            // Clipped bins b ≥ i: r = 127·(2b+1−2i) → Σ c r² = 127²·(A2 − 4i·A1 + 4i²·A0).
            Int128 error = 127 * 127 * (a2[i] - (4 * (Int128)i * a1[i]) + (4 * (Int128)i * i * a0[i]));
            foreach (var b in nonZero)
            {
                if (b >= i)
                {
                    break;
                }

                error += counts[b] * (Int128)Square(Residual(b, i));
            }

            if (error < best)
            {
                best = error;
                bestIndex = i;
            }
        }

        double mse = (double)best / (254.0 * 254.0) / (double)a0[0];
        return (bestIndex, mse);
    }

    /// <summary>
    /// r = 127·(2b+1) − 2i·q with q = min(round_half_even(127·(2b+1) / (2i)), 127): the error of bin b's centre
    /// under threshold i·w, in units of w/254. The double quotient rounds exactly: a true half-integer is representable
    /// and any other quotient is at least 1/(2i) away from one.
    /// </summary>
    public static long Residual(int b, int i)
    {
        long numerator = 127L * ((2L * b) + 1);
        long q = (long)Math.Round(numerator / (2.0 * i), MidpointRounding.ToEven);
        return numerator - (2L * i * Math.Min(q, 127));
    }

    private static long Square(long r) => r * r;
}
