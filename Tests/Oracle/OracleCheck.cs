using ILGPUInt8.Layers.Network;
using Xunit;

namespace ILGPUInt8.Tests.Oracle;

/// <summary>
/// How far an INT8 engine's outputs are from the fake-quantized oracle, per output: the error in units of the output's
/// quantization step (LSB = T / 127 of the oracle's range), the relative L2 error, the cosine and the top-1 agreement
/// per batch item. A wrong scale anywhere moves values by a fraction of themselves, which is many LSB: see
/// <see cref="Int8OracleTests"/>' corrupted-scale cases.
/// </summary>
internal static class OracleCheck
{
    /// <summary>
    /// Bounds at the network's outputs. Each step may round differently from the oracle by one LSB where a value lies
    /// near a rounding boundary (the engine requantizes in float, the oracle in double; lookup tables and the softmax's
    /// exp table are rounded to their step), and such differences travel through the steps after it: the synthetic
    /// ResNet-18 ends at about 4 LSB max and 0.9 LSB mean, 1.5 % relative L2. A wrong scale is caught by
    /// <see cref="Step"/> where the layers after it hide it at the outputs.
    /// </summary>
    public static readonly Bounds Default = new(MaxLsb: 8, MeanLsb: 1.5, RelL2: 0.03, Cosine: 0.999, Top1: 1.0);

    /// <summary>
    /// Bounds for one step against the oracle's answer to the same inputs, rounding only: at most one LSB anywhere, a
    /// mean under 0.35 LSB (a tanh or leaky table, re-rounded, reaches 0.27), relative L2 under 2 % (small-valued
    /// tensors, one LSB is a large part of them), cosine ≥ 0.9999. A scale 1.5× off gives 15–46 LSB at its step.
    /// </summary>
    public static readonly Bounds Step = new(MaxLsb: 1.01, MeanLsb: 0.35, RelL2: 0.02, Cosine: 0.9999, Top1: 0);

    /// <summary>Measures every output of <paramref name="actual"/> against the oracle's values.</summary>
    public static List<OracleDistance> Measure(
        IReadOnlyDictionary<string, double[]> oracle, IReadOnlyDictionary<string, float[]> actual, IReadOnlyDictionary<string, float> thresholds, NetworkDefinition net, int n)
    {
        var result = new List<OracleDistance>();
        foreach (var output in net.Outputs)
        {
            var lsb = FakeQuantOracle.ScaleOf(thresholds[output.Name]);
            result.Add(Distance(output.Name, oracle[output.Name], actual[output.Name], lsb, n));
        }

        return result;
    }

    /// <summary>The distance of <paramref name="a"/> from the oracle's <paramref name="e"/>, errors in units of <paramref name="lsb"/>.</summary>
    public static OracleDistance Distance(string name, double[] e, float[] a, double lsb, int n)
    {
        Assert.Equal(e.Length, a.Length);
        double maxLsb = 0, sumLsb = 0, diff2 = 0, ref2 = 0, act2 = 0, dot = 0;
        for (var i = 0; i < e.Length; i++)
        {
            var d = Math.Abs(a[i] - e[i]);
            maxLsb = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(maxLsb, d / lsb);
            sumLsb += d / lsb;
            diff2 += d * d;
            ref2 += e[i] * e[i];
            act2 += (double)a[i] * a[i];
            dot += e[i] * a[i];
        }

        var cosine = ref2 == 0 && act2 == 0 ? 1 : dot / Math.Sqrt(ref2 * act2);
        return new OracleDistance(name, maxLsb, sumLsb / e.Length, Math.Sqrt(diff2 / Math.Max(ref2, double.Epsilon)), cosine, Top1(e, a, n));
    }

    /// <summary>Asserts every output within <paramref name="bounds"/>, naming the output and its figures otherwise.</summary>
    public static void Passes(IEnumerable<OracleDistance> distances, Bounds bounds, string what)
    {
        foreach (var d in distances)
        {
            Assert.True(bounds.Admit(d), $"{what}: {d} outside {bounds}");
        }
    }

    // The share of batch items whose largest value sits at the same index (ties: the first).
    private static double Top1(double[] e, float[] a, int n)
    {
        var per = e.Length / n;
        var same = 0;
        for (var b = 0; b < n; b++)
        {
            int ie = 0, ia = 0;
            for (var i = 1; i < per; i++)
            {
                ie = e[(b * per) + i] > e[(b * per) + ie] ? i : ie;
                ia = a[(b * per) + i] > a[(b * per) + ia] ? i : ia;
            }

            same += ie == ia ? 1 : 0;
        }

        return (double)same / n;
    }
}

/// <summary>One output's distance from the oracle.</summary>
internal sealed record OracleDistance(string Output, double MaxLsb, double MeanLsb, double RelL2, double Cosine, double Top1)
{
    public override string ToString() =>
        $"{Output}: max {MaxLsb:F2} LSB, mean {MeanLsb:F3} LSB, rel L2 {RelL2:E2}, cosine {Cosine:F6}, top-1 {Top1:P0}";
}

/// <summary>Limits for <see cref="OracleDistance"/>: all must hold.</summary>
internal sealed record Bounds(double MaxLsb, double MeanLsb, double RelL2, double Cosine, double Top1)
{
    public bool Admit(OracleDistance d) =>
        d.MaxLsb <= MaxLsb && d.MeanLsb <= MeanLsb && d.RelL2 <= RelL2 && d.Cosine >= Cosine && d.Top1 >= Top1;
}
