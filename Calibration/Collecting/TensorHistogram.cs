using MathNet.Numerics.Statistics;

namespace ILGPUInt8.Calibration.Collecting;

/// <summary>
/// The collected |x| histogram of one tensor: 2048 bins over [0, amax] (bin b covers about [b·w, (b+1)·w) with
/// w = amax / 2048, the exact rule being <see cref="HistogramBinning.Bin"/>), 64-bit counts, NaN and ±Inf counted
/// apart, the finite range (min and max |x|) and how many batches were observed. Histograms are sums: two with the
/// same amax <see cref="Merge"/> exactly.
/// </summary>
public sealed class TensorHistogram
{
    private readonly long[] _counts;

    /// <summary>Creates a histogram from its parts (counts are copied).</summary>
    public TensorHistogram(string name, ReadOnlySpan<long> counts, float amax, float minAbs, long nanCount = 0, long positiveInfinityCount = 0, long negativeInfinityCount = 0, int batches = 1)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (counts.Length != HistogramBinning.Bins)
        {
            throw new ArgumentException($"A histogram has {HistogramBinning.Bins} bins, got {counts.Length}.", nameof(counts));
        }

        if (!float.IsFinite(amax) || amax < 0f)
        {
            throw new ArgumentException($"amax = {amax} must be finite and ≥ 0.", nameof(amax));
        }

        for (var b = 0; b < counts.Length; b++)
        {
            if (counts[b] < 0)
            {
                throw new ArgumentException($"counts[{b}] = {counts[b]} is negative.", nameof(counts));
            }
        }

        Name = name;
        _counts = counts.ToArray();
        Amax = amax;
        MinAbs = minAbs;
        NaNCount = nanCount;
        PositiveInfinityCount = positiveInfinityCount;
        NegativeInfinityCount = negativeInfinityCount;
        Batches = batches;
        Count = _counts.Sum();
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>The 2048 bin counts of finite values.</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>max |x| over finite values (0 when there are none): the histogram's range.</summary>
    public float Amax { get; }

    /// <summary>min |x| over finite values (+Inf when there are none).</summary>
    public float MinAbs { get; }

    /// <summary>Bin width w = amax / 2048.</summary>
    public double BinWidth => Amax / (double)HistogramBinning.Bins;

    /// <summary>Finite values counted (the sum of the bins).</summary>
    public long Count { get; }

    /// <summary>NaN values seen (never binned).</summary>
    public long NaNCount { get; }

    /// <summary>+Inf values seen (never binned).</summary>
    public long PositiveInfinityCount { get; }

    /// <summary>-Inf values seen (never binned).</summary>
    public long NegativeInfinityCount { get; }

    /// <summary>NaN and ±Inf values seen.</summary>
    public long NonFiniteCount => NaNCount + PositiveInfinityCount + NegativeInfinityCount;

    /// <summary>Batches observed.</summary>
    public int Batches { get; }

    /// <summary>
    /// The sum of two histograms of the same tensor over the same range: counts, non-finite counts and batches add,
    /// the finite range is the wider. Throws when the ranges differ (different bin edges cannot be added exactly).
    /// </summary>
    public TensorHistogram Merge(TensorHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (BitConverter.SingleToInt32Bits(Amax) != BitConverter.SingleToInt32Bits(other.Amax))
        {
            throw new ArgumentException($"Histograms of '{Name}' over different ranges (amax {Amax:R} and {other.Amax:R}) cannot be merged exactly.", nameof(other));
        }

        var sum = new long[HistogramBinning.Bins];
        for (var b = 0; b < sum.Length; b++)
        {
            sum[b] = _counts[b] + other._counts[b];
        }

        return new TensorHistogram(Name, sum, Amax, Math.Min(MinAbs, other.MinAbs), NaNCount + other.NaNCount,
            PositiveInfinityCount + other.PositiveInfinityCount, NegativeInfinityCount + other.NegativeInfinityCount, Batches + other.Batches);
    }

    /// <summary>
    /// The histogram as a MathNet <see cref="Histogram"/>: one bucket (b·w, (b+1)·w] per bin holding its count
    /// (the device counted, MathNet holds; MathNet's buckets are lower-exclusive, so a value 0 belongs to bin 0 here
    /// but would sit on bucket 0's open bound there). An all-zero range (amax = 0) gives a single bucket (-1, 0].
    /// </summary>
    public Histogram ToMathNet()
    {
        var histogram = new Histogram();
        if (Amax == 0f)
        {
            histogram.AddBucket(new Bucket(-1, 0, Count));
            return histogram;
        }

        double w = BinWidth;
        for (var b = 0; b < _counts.Length; b++)
        {
            histogram.AddBucket(new Bucket(b * w, (b + 1) * w, _counts[b]));
        }

        return histogram;
    }

    /// <summary>
    /// Mean, standard deviation and friends of |x|, with every value taken at its bin centre (b + 0.5)·w
    /// (MathNet's weighted running statistics, weights = counts).
    /// </summary>
    public RunningWeightedStatistics Statistics()
    {
        var stats = new RunningWeightedStatistics();
        double w = BinWidth;
        for (var b = 0; b < _counts.Length; b++)
        {
            if (_counts[b] > 0)
            {
                stats.Push(_counts[b], (b + 0.5) * w);
            }
        }

        return stats;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} finite values, amax {Amax:G6}, {NonFiniteCount} non-finite, {Batches} batches";
}
