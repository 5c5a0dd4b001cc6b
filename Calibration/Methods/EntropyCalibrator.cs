using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// Entropy (KL divergence) calibration as published for TensorRT (Migacz, GTC 2017), defined in calibration.md:
/// for each candidate i = 128..2048 the reference P = bins[0..i) with all counts of bins ≥ i added into P[i−1]; the
/// candidate Q quantizes bins[0..i) into 128 levels (level j covers bins [⌊j·i/128⌋, ⌊(j+1)·i/128⌋); its mass is spread
/// evenly over the bins of the level that are non-zero in P); both normalized; KL = Σ_{P&gt;0} p·ln(p/q), with q = 1e-12
/// where q = 0 &lt; p. T = (argmin + 0.5)·w, capped at amax; ties go to the smaller i.
/// Choices stated: bin 0 takes the count of bin 1 before the search (the zero spike of ReLU outputs must not drive
/// it), and the search runs in O(2048·128) with prefix sums of counts, of non-zero bins and of c·ln c.
/// </summary>
public sealed class EntropyCalibrator : ICalibrationMethod
{
    /// <summary>Number of quantization levels of the candidate.</summary>
    public const int Levels = 128;

    /// <summary>Probability given to q where it is 0 but p is not.</summary>
    public const double Epsilon = 1e-12;

    /// <inheritdoc />
    public string Name => "entropy";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        if (CalibrationResult.Degenerate(histogram, Name) is { } d)
        {
            return d;
        }

        double t = Math.Min(ThresholdFromHistogram(histogram.Counts, histogram.BinWidth), histogram.Amax);
        return new CalibrationResult(histogram.Name, Name, histogram.Amax, t, CalibrationResult.Clipped(histogram, t));
    }

    /// <summary>The threshold (argmin + 0.5)·binWidth for users who keep their own histograms (any bin count ≥ 128).</summary>
    public static double ThresholdFromHistogram(ReadOnlySpan<long> counts, double binWidth)
    {
        if (counts.Length < Levels)
        {
            throw new ArgumentException($"The histogram needs at least {Levels} bins, has {counts.Length}.", nameof(counts));
        }

        if (!(binWidth > 0) || double.IsInfinity(binWidth))
        {
            throw new ArgumentException($"binWidth = {binWidth} must be finite and > 0.", nameof(binWidth));
        }

        var divergences = Divergences(counts);
        return (ArgMin(divergences) + Levels + 0.5) * binWidth;
    }

    /// <summary>KL divergence of every candidate i = 128..n (index i − 128), O(n · 128).</summary>
    public static double[] Divergences(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        var bins = PrepareBins(counts);
        double total = 0;
        foreach (var c in bins)
        {
            total += c;
        }

        // Prefix sums over bins[0..b): counts S, non-zero bins Z, and c·ln c (L).
        var s = new double[n + 1];
        var z = new int[n + 1];
        var l = new double[n + 1];
        for (var b = 0; b < n; b++)
        {
            s[b + 1] = s[b] + bins[b];
            z[b + 1] = z[b] + (bins[b] > 0 ? 1 : 0);
            l[b + 1] = l[b] + (bins[b] > 0 ? bins[b] * Math.Log(bins[b]) : 0);
        }

        var result = new double[n - Levels + 1];
        if (total == 0)
        {
            return result;
        }

        for (var i = Levels; i <= n; i++)
        {
            double outliers = total - s[i];
            double qTotal = s[i];
            double kl = 0;
            for (var j = 0; j < Levels; j++)
            {
                int start = (int)((long)j * i / Levels), end = (int)((long)(j + 1) * i / Levels);
                if (end == start)
                {
                    continue;
                }

                double mass = s[end] - s[start];
                int nonZero = z[end] - z[start];
                double pSum = mass, pLogP = l[end] - l[start];
                if (end == i && outliers > 0)
                {
                    // P[i−1] = bins[i−1] + outliers: replace that bin's terms.
                    double last = bins[i - 1], merged = last + outliers;
                    pSum += outliers;
                    pLogP += (merged * Math.Log(merged)) - (last > 0 ? last * Math.Log(last) : 0);
                    nonZero += last > 0 ? 0 : 1;
                }

                if (pSum == 0)
                {
                    continue;
                }

                // Each non-zero bin of the level has q = (mass / nonZero) / qTotal; Σ p·ln(p/q) over the level
                // = (1/total)·(Σ P ln P − pSum·ln total) − (pSum/total)·ln q.
                double q = qTotal > 0 && mass > 0 ? mass / nonZero / qTotal : Epsilon;
                kl += ((pLogP - (pSum * Math.Log(total))) / total) - (pSum / total * Math.Log(q));
            }

            result[i - Levels] = kl;
        }

        return result;
    }

    /// <summary>The same divergences computed directly (P and Q built as arrays): the O(n²) oracle for tests.</summary>
    public static double[] DivergencesDirect(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        var bins = PrepareBins(counts);
        var result = new double[n - Levels + 1];
        for (var i = Levels; i <= n; i++)
        {
            var p = new double[i];
            for (var b = 0; b < i; b++)
            {
                p[b] = bins[b];
            }

            for (var b = i; b < n; b++)
            {
                p[i - 1] += bins[b];
            }

            var q = new double[i];
            for (var j = 0; j < Levels; j++)
            {
                int start = j * i / Levels, end = (j + 1) * i / Levels;
                double mass = 0;
                var nonZero = 0;
                for (var b = start; b < end; b++)
                {
                    mass += bins[b];
                    nonZero += p[b] > 0 ? 1 : 0;
                }

                for (var b = start; b < end; b++)
                {
                    q[b] = p[b] > 0 && nonZero > 0 ? mass / nonZero : 0;
                }
            }

            double pt = p.Sum(), qt = q.Sum();
            double kl = 0;
            for (var b = 0; b < i; b++)
            {
                if (p[b] > 0)
                {
                    double pp = p[b] / pt, qq = qt > 0 && q[b] > 0 ? q[b] / qt : Epsilon;
                    kl += pp * Math.Log(pp / qq);
                }
            }

            result[i - Levels] = kl;
        }

        return result;
    }

    /// <summary>Index of the smallest divergence; values within 1e-12 (relative) of it count as ties, won by the smallest index.</summary>
    public static int ArgMin(double[] divergences)
    {
        ArgumentNullException.ThrowIfNull(divergences);
        double min = divergences.Min();
        double tolerance = 1e-12 * Math.Max(1, Math.Abs(min));
        return Array.FindIndex(divergences, v => v <= min + tolerance);
    }

    // The counts as doubles with bin 0 given the count of bin 1.
    private static double[] PrepareBins(ReadOnlySpan<long> counts)
    {
        var bins = new double[counts.Length];
        for (var b = 0; b < counts.Length; b++)
        {
            bins[b] = counts[b];
        }

        bins[0] = bins[1];
        return bins;
    }
}
