using System.Runtime.CompilerServices;
using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// MSE: T among the bin centres T_i = (i + ½)·w, i = 127 … n − 1, minimising the squared quantization error over the
/// histogram, every value taken at its bin centre x_b = (b + ½)·w and weighted by its count:
/// err(x) = (x − T)² when x &gt; T (clipped), else (x − s·round_half_even(x / s))² with s = T / 127 (<see cref="Error"/>).
/// The search is exact: with q_b = min(round_half_even(127·(2b+1) / (2i+1)), 127) the error of bin b is
/// x_b − s·q_b = w·r_b / 254 with the integer r_b = 127·(2b+1) − (2i+1)·q_b, so Σ counts·r² is summed in 128-bit
/// integers and the smallest i with the least error wins (no float ties); q is rounded from num · (1/den), exact because
/// the quotient of two odd numbers is never a half-integer and lies at least 1/(2·den) from one. Clipped bins (b &gt; i, r_b = 254·(b − i)) come
/// from suffix sums of counts·b^k, k = 0, 1, 2; the others are summed one by one (O(n²/2) in all, a few ms a tensor).
/// </summary>
public sealed class MseCalibrator : ICalibrationMethod
{
    /// <summary>The first candidate bin (T ≥ 127.5·w, like entropy's 128 levels).</summary>
    public const int FirstCandidate = 127;

    /// <inheritdoc />
    public string Name => "mse";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram) =>
        CalibrationResult.Degenerate(histogram, Name)
        ?? CalibrationResult.For(histogram, Name, ThresholdFromHistogram(histogram.Counts, histogram.BinWidth));

    /// <summary>T = (i* + ½)·binWidth for the error-minimising centre i*; 0 for an empty histogram.</summary>
    public static double ThresholdFromHistogram(ReadOnlySpan<long> counts, double binWidth) =>
        Search(counts) is { Index: >= 0 } best ? (best.Index + 0.5) * binWidth : 0;

    /// <summary>
    /// The best centre index i* (−1 for an empty histogram) and its mean squared error per value in units of w²
    /// (multiply by binWidth² for the MSE).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (int Index, double MeanSquaredErrorInBins) Search(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        // Suffix sums over b ≥ k of counts·b^e, e = 0, 1, 2 (exact in 128 bits).
        var s0 = new Int128[n + 1];
        var s1 = new Int128[n + 1];
        var s2 = new Int128[n + 1];
        for (int b = n - 1; b >= 0; b--)
        {
            if (counts[b] < 0)
            {
                throw new ArgumentException($"counts[{b}] = {counts[b]} is negative.", nameof(counts));
            }

            Int128 c = counts[b];
            s0[b] = s0[b + 1] + c;
            s1[b] = s1[b + 1] + (c * b);
            s2[b] = s2[b + 1] + (c * b * b);
        }

        if (s0[0] == 0)
        {
            return (-1, 0);
        }

        // The non-empty bins: b, 127·(2b+1) (exact as a double) and the count.
        var bins = new List<int>();
        for (var b = 0; b < n; b++)
        {
            if (counts[b] > 0)
            {
                bins.Add(b);
            }
        }

        var nums = new long[bins.Count];
        var cs = new ulong[bins.Count];
        for (var k = 0; k < bins.Count; k++)
        {
            nums[k] = 127L * ((2L * bins[k]) + 1);
            cs[k] = (ulong)counts[bins[k]];
        }

        UInt128 best = UInt128.MaxValue;
        int bestIndex = -1;
        for (int i = Math.Min(FirstCandidate, n - 1); i < n; i++)
        {
            // Clipped bins b > i: Σ c·(254·(b − i))² = 254²·(S2 − 2i·S1 + i²·S0) over b ≥ i + 1 (never negative).
            var error = (UInt128)(254 * 254 * (s2[i + 1] - (2 * (Int128)i * s1[i + 1]) + ((Int128)i * i * s0[i + 1])));
            long den = (2L * i) + 1;
            double inverse = 1.0 / den;
            ulong hi = 0, lo = 0;
            for (var k = 0; k < nums.Length && bins[k] <= i; k++)
            {
                // q = round_half_even(num / den): num · (1/den) is within 1e-10 of the quotient, which is at least
                // 1/(2·den) from a half-integer, so the rounding is exact.
                long q = Math.Min((long)Math.Round(nums[k] * inverse, MidpointRounding.ToEven), 127);
                long r = nums[k] - (den * q);
                ulong high = Math.BigMul(cs[k], (ulong)(r * r), out ulong low);
                lo += low;
                hi += high + (lo < low ? 1UL : 0UL);
            }

            error += new UInt128(hi, lo);
            if (error < best)
            {
                best = error;
                bestIndex = i;
            }
        }

        return (bestIndex, (double)best / (254.0 * 254.0) / (double)s0[0]);
    }

    /// <summary>
    /// r = 127·(2b+1) − (2i+1)·q with q = min(round_half_even(127·(2b+1) / (2i+1)), 127): the error of bin b's centre under
    /// T = (i + ½)·w in units of w/254. The quotient is never a half-integer (odd over odd) and is at least 1/(2(2i+1)) away
    /// from one, so the double division rounds exactly.
    /// </summary>
    public static long Residual(int b, int i)
    {
        long numerator = 127L * ((2L * b) + 1);
        long denominator = (2L * i) + 1;
        long q = (long)Math.Round(numerator / (double)denominator, MidpointRounding.ToEven);
        return numerator - (denominator * Math.Min(q, 127));
    }

    /// <summary>Σ_b count_b · err((b + ½)·w) for threshold t, in double: the direct evaluation.</summary>
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
