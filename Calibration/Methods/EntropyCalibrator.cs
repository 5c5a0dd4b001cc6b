using System.Buffers;
using ILGPUInt8.Calibration.Collecting;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// Entropy (KL-divergence) calibration as published for TensorRT (Migacz, GTC 2017), following docs/calibration.md:
/// <list type="number">
/// <item>c = the counts with c[0] := c[1] (the spike of exact zeros must not drive the search); N = Σ c.</item>
/// <item>For each candidate i = 128 … n (n = 2048): P = c[0..i) with the outliers Σ c[i..n) added to P[i-1];
/// Q quantizes c[0..i) (outliers not included) into 128 levels, level j covering bins [⌊j·i/128⌋, ⌊(j+1)·i/128⌋),
/// its mass spread evenly over the bins of the level where P &gt; 0 (empty bins stay empty).</item>
/// <item>D(i) = Σ_{P&gt;0} p·ln(p/q) with p = P/ΣP, q = Q/ΣQ; where q = 0 but p &gt; 0, q := ε = 1e-4
/// (<see cref="Smoothing"/>, no renormalisation).</item>
/// <item>i* = argmin D, the smallest i whose D is within <see cref="TieTolerance"/> of the minimum (float noise of the
/// sums is ~1e-13; exact ties, e.g. all i past the end of the data, go to the tighter threshold);
/// T = (i* + 0.5) · bin width.</item>
/// </list>
/// Cost O(n·16 + n·128): per level, with M = Σ c and z = #non-zero bins of the level,
/// Σ_b P ln(P/Q) over the level = Σ_b c ln c − M·ln(M/z) (Q = M/z on each non-zero bin), so
/// D(i) = (1/N)·Σ_levels [Σ c ln c − M' ln(M/z')] + (mass where q &gt; 0)/N · ln(ΣQ/N) + smoothing terms,
/// M' and z' counting the outliers in the last level. The bracket of every (start, width) pair is tabulated once
/// once (widths ≤ n/128 + 1, about 21 K pairs that candidates can use, one log each), each candidate sums 127 table
/// entries and recomputes only its last level.
/// </summary>
public sealed class EntropyCalibrator : ICalibrationMethod
{
    /// <summary>Quantization levels of the candidate Q (int8 magnitudes 0..127).</summary>
    public const int Levels = 128;

    /// <summary>ε, the probability given to q where q = 0 but p &gt; 0.</summary>
    public const double Smoothing = 1e-4;

    /// <summary>Divergences within this of the minimum (nats) count as ties; the smallest i wins.</summary>
    public const double TieTolerance = 1e-10;

    /// <inheritdoc />
    public string Name => "entropy";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (Degenerate.Settle(Name, histogram, out var flags) is { } settled)
        {
            return settled;
        }

        return Degenerate.Finish(Name, histogram, ThresholdFromHistogram(histogram.Counts, histogram.BinWidth), flags);
    }

    /// <summary>
    /// The entropy threshold (i* + 0.5) · <paramref name="binWidth"/> of a histogram of n ≥ 128 bins. A histogram
    /// with no mass outside bin 0 returns n · binWidth (nothing to decide; keep the whole range).
    /// </summary>
    public static double ThresholdFromHistogram(ReadOnlySpan<long> counts, double binWidth)
    {
        if (!double.IsFinite(binWidth) || binWidth < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(binWidth), binWidth, "The bin width must be finite and ≥ 0.");
        }

        var divergences = Divergences(counts);
        if (divergences is null)
        {
            return counts.Length * binWidth;
        }

        return (ArgMin(divergences) + 0.5) * binWidth;
    }

    /// <summary>
    /// D(i) for i = 0 … n (entries below 128 are +Inf), or null when the counts (with bin 0 := bin 1) are all zero.
    /// Throws when there are fewer than 128 bins or a count is negative.
    /// </summary>
    public static double[]? Divergences(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        if (n < Levels)
        {
            throw new ArgumentException($"The entropy search needs at least {Levels} bins, got {n}.", nameof(counts));
        }

        // Prefix sums: C[k] = Σ_{b<k} c[b] (exact in 64 bits), Z[k] = #{b < k : c[b] > 0}; xl[b] = c[b]·ln c[b].
        var c = new long[n];
        var prefix = new long[n + 1];
        var nonZero = new int[n + 1];
        var xl = new double[n];
        for (var b = 0; b < n; b++)
        {
            long v = b == 0 ? counts[1] : counts[b];
            if (v < 0)
            {
                throw new ArgumentException($"counts[{b}] = {v} is negative.", nameof(counts));
            }

            c[b] = v;
            prefix[b + 1] = prefix[b] + v;
            nonZero[b + 1] = nonZero[b] + (v > 0 ? 1 : 0);
            xl[b] = XLogX(v);
        }

        long total = prefix[n];
        if (total == 0)
        {
            return null;
        }

        // G(s, w) = Σ_{b∈[s,s+w)} c ln c − M·ln(M/z), the level bracket without outliers (0 for an empty level).
        // Candidate i uses widths w ∈ {⌊i/128⌋, ⌊i/128⌋ + 1}, so i < 128·(w + 1) and only starts s < 128·(w + 1) occur:
        // about 21 K pairs (one log each) out of n·(n/128 + 1).
        int maxWidth = Math.Min(n, (n / Levels) + 1);
        int stride = n + 1;
        var table = ArrayPool<double>.Shared.Rent(maxWidth * stride);
        try
        {
            for (var s = 0; s < n; s++)
            {
                double sumX = 0;
                long mass = 0;
                int z = 0;
                for (int w = 1; w <= maxWidth && s + w <= n; w++)
                {
                    int b = s + w - 1;
                    sumX += xl[b];
                    mass += c[b];
                    z += c[b] > 0 ? 1 : 0;
                    if (s < Levels * (w + 1))
                    {
                        table[((w - 1) * stride) + s] = mass > 0 ? sumX - (mass * Math.Log((double)mass / z)) : 0.0;
                    }
                }
            }

            var divergences = new double[n + 1];
            Array.Fill(divergences, double.PositiveInfinity, 0, Levels);
            for (int i = Levels; i <= n; i++)
            {
                divergences[i] = Candidate(i, c, prefix, nonZero, xl, table, stride, total);
            }

            return divergences;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(table);
        }
    }

    /// <summary>The smallest index whose value is within <see cref="TieTolerance"/> of the minimum.</summary>
    public static int ArgMin(ReadOnlySpan<double> divergences)
    {
        double min = double.PositiveInfinity;
        foreach (var d in divergences)
        {
            min = Math.Min(min, d);
        }

        for (var i = 0; i < divergences.Length; i++)
        {
            if (divergences[i] <= min + TieTolerance)
            {
                return i;
            }
        }

        throw new ArgumentException("No finite divergence.", nameof(divergences));
    }

    /// <summary>D(i) from the level table (levels 0..126) and the last level recomputed with the outliers.</summary>
    private static double Candidate(int i, long[] c, long[] prefix, int[] nonZero, double[] xl, double[] table, int stride, long total)
    {
        double sum = 0;
        int s = 0;
        for (var j = 1; j < Levels; j++)
        {
            // Level j - 1 covers [⌊(j-1)·i/128⌋, ⌊j·i/128⌋).
            int e = (int)((uint)(j * i) / Levels);
            sum += table[((e - s - 1) * stride) + s];
            s = e;
        }

        long kept = prefix[i];
        long outliers = total - kept;
        double smoothing = 0;
        long qualified = total; // P mass on bins where q > 0
        if (outliers == 0)
        {
            sum += table[((i - s - 1) * stride) + s];
        }
        else
        {
            long mass = prefix[i] - prefix[s];
            if (mass > 0)
            {
                // Last level with P[i-1] = c[i-1] + outliers: Σ P ln P − M'·ln(M/z'), z' counting bin i-1 as non-zero.
                double sumX = XLogX(c[i - 1] + outliers) - xl[i - 1];
                for (int b = s; b < i; b++)
                {
                    sumX += xl[b];
                }

                int z = nonZero[i] - nonZero[s] + (c[i - 1] == 0 ? 1 : 0);
                sum += sumX - ((mass + outliers) * Math.Log((double)mass / z));
            }
            else
            {
                // Q is 0 over the whole last level; P > 0 only at i-1 (the outliers): p·ln(p/ε).
                double p = (double)outliers / total;
                smoothing = p * Math.Log(p / Smoothing);
                qualified = total - outliers;
            }
        }

        double divergence = (sum / total) + smoothing;
        if (kept > 0)
        {
            divergence += (double)qualified / total * Math.Log((double)kept / total);
        }

        return divergence;
    }

    private static double XLogX(long v) => v > 0 ? v * Math.Log(v) : 0.0;
}
