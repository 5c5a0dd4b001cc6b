namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// A |x| histogram of one tensor over [0, amax] in <see cref="Bins"/> equal bins: bin(x) = min(⌊|x| / amax · 2048⌋, 2047)
/// (float arithmetic, as the device kernel computes it). NaN and ±Inf are counted apart, never binned.
/// Counts are sums, so histograms of the same amax merge exactly.
/// </summary>
public sealed class TensorHistogram
{
    /// <summary>Number of bins.</summary>
    public const int Bins = 2048;

    /// <summary>Creates a histogram from counts.</summary>
    public TensorHistogram(string name, float amax, long[] counts, long nanCount = 0, long infCount = 0, int batches = 0)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Length != Bins)
        {
            throw new ArgumentException($"A histogram has {Bins} bins, not {counts.Length}.", nameof(counts));
        }

        if (!(amax >= 0) || float.IsInfinity(amax))
        {
            throw new ArgumentException($"amax = {amax} must be finite and ≥ 0.", nameof(amax));
        }

        Name = name;
        Amax = amax;
        Counts = counts;
        NaNCount = nanCount;
        InfCount = infCount;
        Batches = batches;
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>The largest finite |x| seen (the histogram's range).</summary>
    public float Amax { get; }

    /// <summary>Counts per bin.</summary>
    public long[] Counts { get; }

    /// <summary>NaN values seen.</summary>
    public long NaNCount { get; }

    /// <summary>±Inf values seen.</summary>
    public long InfCount { get; }

    /// <summary>Batches counted.</summary>
    public int Batches { get; }

    /// <summary>Width of a bin, amax / 2048.</summary>
    public double BinWidth => Amax / (double)Bins;

    /// <summary>Finite values counted.</summary>
    public long Total => Counts.Sum();

    /// <summary>The bin of |x| for a histogram of range <paramref name="amax"/> (amax &gt; 0, x finite).</summary>
    public static int BinOf(float x, float amax)
    {
        int b = (int)(MathF.Abs(x) / amax * Bins);
        return b > Bins - 1 ? Bins - 1 : b;
    }

    /// <summary>The sum of two histograms of the same range.</summary>
    public TensorHistogram Merge(TensorHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Amax != Amax)
        {
            throw new ArgumentException($"Histograms of '{Name}' have different ranges ({Amax} and {other.Amax}); merge needs the same amax.", nameof(other));
        }

        var counts = new long[Bins];
        for (var i = 0; i < Bins; i++)
        {
            counts[i] = Counts[i] + other.Counts[i];
        }

        return new TensorHistogram(Name, Amax, counts, NaNCount + other.NaNCount, InfCount + other.InfCount, Batches + other.Batches);
    }

    /// <summary>The histogram as a MathNet.Numerics histogram (buckets [b·w, (b+1)·w) with the device counts), for analysis.</summary>
    public MathNet.Numerics.Statistics.Histogram ToMathNet()
    {
        var histogram = new MathNet.Numerics.Statistics.Histogram();
        var width = Amax > 0 ? BinWidth : 1.0 / Bins;
        for (var b = 0; b < Bins; b++)
        {
            histogram.AddBucket(new MathNet.Numerics.Statistics.Bucket(b * width, (b + 1) * width, Counts[b]));
        }

        return histogram;
    }
}
