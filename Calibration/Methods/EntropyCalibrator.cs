using System.Buffers;
using System.Runtime.CompilerServices;
using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// Entropy (KL-divergence) calibration as published for TensorRT (Migacz, GTC 2017), following docs/calibration.md:
/// <list type="number">
/// <item>c = the counts with c[0] := c[1] (the spike of exact zeros of ReLU outputs must not drive the search, as in
/// NVIDIA's pytorch-quantization); N = Σ c.</item>
/// <item>For each candidate i = 128 … n (n = 2048): P = c[0..i) with the outliers Σ c[i..n) added to P[i−1];
/// Q quantizes c[0..i) (outliers not included) into 128 levels, level j covering bins [⌊j·i/128⌋, ⌊(j+1)·i/128⌋),
/// its mass spread evenly over the bins of the level where P &gt; 0 (empty bins stay empty).</item>
/// <item>D(i) = Σ_{P&gt;0} p·ln(p/q) with p = P/ΣP, q = Q/ΣQ; where q = 0 but p &gt; 0, q := <see cref="Epsilon"/>
/// (1e-12, no renormalisation: in effect a candidate whose last level is empty while outliers exist is ruled out).</item>
/// <item>i* = argmin D, ties (within 1e-12 relative, the float noise of the sums being ~1e-15) to the smallest i;
/// T = (i* + 0.5) · bin width, and <see cref="Compute"/> caps it at amax (a uniform histogram gives T = amax).</item>
/// </list>
/// Cost O(n·16 + n·128), well under a millisecond: on a level with mass M over z bins where P &gt; 0, Q = M/z on each,
/// so Σ_level P ln(P/Q) = Σ c ln c − M'·ln(M/z') (M', z' counting the outliers in the last level) and
/// D(i) = (1/N)·Σ_levels [Σ c ln c − M'·ln(M/z')] + (mass where q &gt; 0)/N · ln(ΣQ/N) + ε terms.
/// The bracket of every (start, width) pair a candidate can use is tabulated once (widths ≤ n/128 + 1, about 21 K pairs,
/// one log each, sums of c ln c taken over the level, not as prefix differences); each candidate then adds 127 table
/// entries and recomputes its last level. <see cref="DivergencesDirect"/> builds P and Q outright: the O(n²) oracle.
/// </summary>
public sealed class EntropyCalibrator : ICalibrationMethod
{
    /// <summary>Number of quantization levels of the candidate (int8 magnitudes 0..127).</summary>
    public const int Levels = 128;

    /// <summary>Probability given to q where it is 0 but p is not.</summary>
    public const double Epsilon = 1e-12;

    /// <inheritdoc />
    public string Name => "entropy";

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram) =>
        CalibrationResult.Degenerate(histogram, Name)
        ?? CalibrationResult.For(histogram, Name, ThresholdFromHistogram(histogram.Counts, histogram.BinWidth));

    /// <summary>
    /// The threshold (i* + 0.5) · <paramref name="binWidth"/> for users who keep their own histograms (any bin count
    /// ≥ 128; not capped). A histogram with no mass outside bin 0 gives n · binWidth (nothing to decide on).
    /// </summary>
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

        var divergences = Divergences(counts, out bool empty);
        return empty ? counts.Length * binWidth : (ArgMin(divergences) + Levels + 0.5) * binWidth;
    }

    /// <summary>KL divergence of every candidate i = 128 … n at index i − 128, O(n·128); all 0 when there is no mass.</summary>
    public static double[] Divergences(ReadOnlySpan<long> counts) => Divergences(counts, out _);

    /// <summary>Index of the smallest divergence; values within 1e-12 (relative) of it count as ties, won by the smallest index.</summary>
    public static int ArgMin(double[] divergences)
    {
        ArgumentNullException.ThrowIfNull(divergences);
        double min = divergences.Min();
        double tolerance = 1e-12 * Math.Max(1, Math.Abs(min));
        return Array.FindIndex(divergences, v => v <= min + tolerance);
    }

    /// <summary>The same divergences computed directly (P and Q built as arrays, normalised, compared): the O(n²) oracle.</summary>
    public static double[] DivergencesDirect(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        if (n < Levels)
        {
            throw new ArgumentException($"The histogram needs at least {Levels} bins, has {n}.", nameof(counts));
        }

        var c = counts.ToArray();
        c[0] = c[1];
        var result = new double[n - Levels + 1];
        for (int i = Levels; i <= n; i++)
        {
            var p = new double[i];
            var q = new double[i];
            for (var b = 0; b < i; b++)
            {
                p[b] = c[b];
            }

            for (int b = i; b < n; b++)
            {
                p[i - 1] += c[b];
            }

            for (var j = 0; j < Levels; j++)
            {
                int start = j * i / Levels, end = (j + 1) * i / Levels;
                double mass = 0;
                int nonZero = 0;
                for (int b = start; b < end; b++)
                {
                    mass += c[b];
                    nonZero += p[b] > 0 ? 1 : 0;
                }

                for (int b = start; b < end; b++)
                {
                    q[b] = p[b] > 0 ? mass / nonZero : 0;
                }
            }

            double sumP = p.Sum(), sumQ = q.Sum(), divergence = 0;
            for (var b = 0; b < i; b++)
            {
                if (p[b] > 0)
                {
                    double pb = p[b] / sumP;
                    double qb = sumQ > 0 && q[b] > 0 ? q[b] / sumQ : Epsilon;
                    divergence += pb * Math.Log(pb / qb);
                }
            }

            result[i - Levels] = sumP > 0 ? divergence : 0;
        }

        return result;
    }

    // Optimised at first call: a calibration runs it a few dozen times, too few for tiered JIT to reach full speed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[] Divergences(ReadOnlySpan<long> counts, out bool empty)
    {
        int n = counts.Length;
        if (n < Levels)
        {
            throw new ArgumentException($"The histogram needs at least {Levels} bins, has {n}.", nameof(counts));
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
        var divergences = new double[n - Levels + 1];
        empty = total == 0;
        if (empty)
        {
            return divergences;
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

            for (int i = Levels; i <= n; i++)
            {
                divergences[i - Levels] = Candidate(i, c, prefix, nonZero, xl, table, stride, total);
            }

            return divergences;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(table);
        }
    }

    /// <summary>D(i) from the level table (levels 0..126) and the last level recomputed with the outliers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                smoothing = p * Math.Log(p / Epsilon);
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
