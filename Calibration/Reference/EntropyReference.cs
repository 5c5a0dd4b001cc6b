using ILGPUInt8.Calibration.Methods;

namespace ILGPUInt8.Calibration.Reference;

/// <summary>
/// The entropy search written out directly from docs/calibration.md, O(n²): for every candidate i the arrays P and
/// Q are built, normalised and compared. The oracle of <see cref="EntropyCalibrator"/>'s prefix-sum search.
/// </summary>
public static class EntropyReference
{
    /// <summary>D(i) for i = 0 … n (+Inf below 128), or null when the counts (bin 0 := bin 1) are all zero.</summary>
    public static double[]? Divergences(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        var c = counts.ToArray();
        c[0] = c[1];
        double total = c.Sum();
        if (total == 0)
        {
            return null;
        }

        var d = new double[n + 1];
        Array.Fill(d, double.PositiveInfinity, 0, EntropyCalibrator.Levels);
        for (int i = EntropyCalibrator.Levels; i <= n; i++)
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

            for (var j = 0; j < EntropyCalibrator.Levels; j++)
            {
                int start = j * i / EntropyCalibrator.Levels, end = (j + 1) * i / EntropyCalibrator.Levels;
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
                    double qb = sumQ > 0 && q[b] > 0 ? q[b] / sumQ : EntropyCalibrator.Smoothing;
                    divergence += pb * Math.Log(pb / qb);
                }
            }

            d[i] = divergence;
        }

        return d;
    }

    /// <summary>(argmin + 0.5) · binWidth with the same tie rule as <see cref="EntropyCalibrator.ArgMin"/>.</summary>
    public static double Threshold(ReadOnlySpan<long> counts, double binWidth)
    {
        var d = Divergences(counts);
        return d is null ? counts.Length * binWidth : (EntropyCalibrator.ArgMin(d) + 0.5) * binWidth;
    }
}
