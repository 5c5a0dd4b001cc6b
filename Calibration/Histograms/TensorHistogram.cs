using MathNet.Numerics.Statistics;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// A |x| histogram of one tensor over [0, amax] in <see cref="Bins"/> bins: bin(x) = min(⌊|x| / amax · 2048⌋, 2047)
/// in float32 arithmetic (<see cref="HistogramBinning.Bin"/>, the expression the device kernel computes), 64-bit counts,
/// NaN and ±Inf counted apart and never binned, the finite range (min and max |x|) and the batches counted. Counts are
/// sums, so histograms with the same amax <see cref="Merge"/> exactly.
/// </summary>
public sealed class TensorHistogram
{
    /// <summary>Number of bins.</summary>
    public const int Bins = HistogramBinning.Bins;

    /// <summary>
    /// Creates a histogram from counts (copied) when the smallest |x| was not measured: <see cref="MinAbs"/> is then the
    /// lower edge of the lowest non-empty bin (+Inf when there is none).
    /// </summary>
    public TensorHistogram(string name, float amax, long[] counts, long nanCount = 0, long infCount = 0, int batches = 0)
        : this(name, amax, counts, LowestEdge(counts, amax), nanCount, infCount, batches)
    {
    }

    /// <summary>Creates a histogram from counts (copied) and the measured smallest finite |x|.</summary>
    public TensorHistogram(string name, float amax, ReadOnlySpan<long> counts, float minAbs, long nanCount, long infCount, int batches)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (counts.Length != Bins)
        {
            throw new ArgumentException($"A histogram has {Bins} bins, not {counts.Length}.", nameof(counts));
        }

        if (!(amax >= 0) || float.IsInfinity(amax))
        {
            throw new ArgumentException($"amax = {amax} must be finite and ≥ 0.", nameof(amax));
        }

        long total = 0;
        for (var b = 0; b < counts.Length; b++)
        {
            if (counts[b] < 0)
            {
                throw new ArgumentException($"counts[{b}] = {counts[b]} is negative.", nameof(counts));
            }

            total += counts[b];
        }

        if (nanCount < 0 || infCount < 0)
        {
            throw new ArgumentException($"Non-finite counts ({nanCount} NaN, {infCount} Inf) must be ≥ 0.", nameof(nanCount));
        }

        Name = name;
        Amax = amax;
        Counts = counts.ToArray();
        MinAbs = minAbs;
        NaNCount = nanCount;
        InfCount = infCount;
        Batches = batches;
        Total = total;
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>The largest finite |x| seen (the histogram's range; 0 when there is none).</summary>
    public float Amax { get; }

    /// <summary>The smallest finite |x| seen (+Inf when there is none).</summary>
    public float MinAbs { get; }

    /// <summary>Counts per bin (the histogram's own copy).</summary>
    public long[] Counts { get; }

    /// <summary>NaN values seen.</summary>
    public long NaNCount { get; }

    /// <summary>±Inf values seen.</summary>
    public long InfCount { get; }

    /// <summary>NaN and ±Inf values seen.</summary>
    public long NonFiniteCount => NaNCount + InfCount;

    /// <summary>Batches counted.</summary>
    public int Batches { get; }

    /// <summary>Width of a bin, amax / 2048.</summary>
    public double BinWidth => Amax / (double)Bins;

    /// <summary>Finite values counted (the sum of the bins).</summary>
    public long Total { get; }

    /// <summary>The bin of a finite x for a histogram of range <paramref name="amax"/> (<see cref="HistogramBinning.Bin"/> of |x|).</summary>
    public static int BinOf(float x, float amax) => HistogramBinning.Bin(MathF.Abs(x), HistogramBinning.KernelRange(amax));

    /// <summary>
    /// The sum of two histograms of the same tensor and range: counts, non-finite counts and batches add, the finite range
    /// is the wider. Throws when the ranges differ (different bin edges cannot be added exactly).
    /// </summary>
    public TensorHistogram Merge(TensorHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (BitConverter.SingleToInt32Bits(Amax) != BitConverter.SingleToInt32Bits(other.Amax))
        {
            throw new ArgumentException($"Histograms of '{Name}' have different ranges ({Amax:R} and {other.Amax:R}); merge needs the same amax.", nameof(other));
        }

        var counts = new long[Bins];
        for (var b = 0; b < Bins; b++)
        {
            counts[b] = Counts[b] + other.Counts[b];
        }

        return new TensorHistogram(Name, Amax, counts, Math.Min(MinAbs, other.MinAbs), NaNCount + other.NaNCount, InfCount + other.InfCount, Batches + other.Batches);
    }

    /// <summary>
    /// The histogram as a MathNet <see cref="Histogram"/>: one bucket (b·w, (b+1)·w] per bin holding the device count
    /// (the device counts, MathNet holds and analyses; MathNet's buckets are lower-exclusive, so a value 0, which is in
    /// bin 0 here, sits on bucket 0's open bound there). A zero range (amax = 0) uses w = 1/2048.
    /// </summary>
    public Histogram ToMathNet()
    {
        var histogram = new Histogram();
        double w = Amax > 0 ? BinWidth : 1.0 / Bins;
        for (var b = 0; b < Bins; b++)
        {
            histogram.AddBucket(new Bucket(b * w, (b + 1) * w, Counts[b]));
        }

        return histogram;
    }

    /// <summary>
    /// Mean, standard deviation and higher moments of |x| with every value at its bin centre (b + ½)·w, from MathNet's
    /// weighted running statistics (weights = counts).
    /// </summary>
    public RunningWeightedStatistics Statistics()
    {
        var stats = new RunningWeightedStatistics();
        double w = BinWidth;
        for (var b = 0; b < Bins; b++)
        {
            if (Counts[b] > 0)
            {
                stats.Push(Counts[b], (b + 0.5) * w);
            }
        }

        return stats;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Total} finite values, amax {Amax:G6}, {NonFiniteCount} NaN/Inf, {Batches} batches";

    private static float LowestEdge(long[] counts, float amax)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int b = Array.FindIndex(counts, c => c > 0);
        return b < 0 ? float.PositiveInfinity : (float)(b * (amax / (double)Bins));
    }
}
