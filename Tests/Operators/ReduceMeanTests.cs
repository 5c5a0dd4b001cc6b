using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Operators;

/// <summary>
/// ReduceMean over any axes (Layers/Operators/ReduceMean/): each run of consecutive axes becomes a view and an average
/// pooling of window (r, 1); checked against y = (1/r)·Σ x written out here, on the ONNX reference, the FP32 engine on
/// the ILGPU CPU accelerator and the CPU backend and after an engine file round trip; the batch axis runs taken whole.
/// </summary>
public sealed class ReduceMeanTests
{
    /// <summary>The mean over <paramref name="axes"/> of x of shape <paramref name="s"/> (keepdims: C-order output of the kept axes).</summary>
    private static float[] Expected(float[] x, long[] s, int[] axes)
    {
        long[] o = [.. s.Select((d, i) => axes.Contains(i) ? 1 : d)];
        var sums = new double[o.Aggregate(1L, (a, d) => a * d)];
        long r = axes.Aggregate(1L, (a, i) => a * s[i]);
        var index = new long[s.Length];
        for (long f = 0; f < x.LongLength; f++)
        {
            long rest = f;
            for (int d = s.Length - 1; d >= 0; d--)
            {
                index[d] = rest % s[d];
                rest /= s[d];
            }

            long target = 0;
            for (int d = 0; d < s.Length; d++)
            {
                target = (target * o[d]) + (axes.Contains(d) ? 0 : index[d]);
            }

            sums[target] += x[f];
        }

        return [.. sums.Select(v => (float)(v / r))];
    }

    [Theory]
    [InlineData(new long[] { 1 }, 0)]
    [InlineData(new long[] { 1, 3 }, 1)]
    [InlineData(new long[] { -1 }, 0)]
    [InlineData(new long[] { 1, 2 }, 1)]
    public void Onnx_reduce_mean_runs_on_both_backends_and_after_a_round_trip(long[] axes, int keepdims)
    {
        long[] s = [2, 3, 4, 5];
        int[] normalized = [.. axes.Select(a => (int)(a < 0 ? a + 4 : a)).Order()];
        long[] kept = [.. s.Select((d, i) => normalized.Contains(i) ? 1 : d)];
        long[] yShape = keepdims != 0 ? kept : [.. s.Where((_, i) => !normalized.Contains(i))];
        var model = Model(13, [Node("ReduceMean", ["x"], ["y"], Ints("axes", axes), Int("keepdims", keepdims))], [Value("x", s)], [Value("y", yShape)]);
        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "reduce");
        var x = Random(120, seed: 17);
        var expected = Expected(x, s, normalized);
        var reference = OnnxReference.Run(loaded.Imported, new Dictionary<string, ReferenceTensor> { ["x"] = new(s, x) })["y"].Data;
        AssertClose(expected, reference, "reference");

        using var engines = OperatorEngines.Build(loaded.Network, new BuilderConfig { MaxBatchSize = 2 });
        foreach (var engine in engines.All)
        {
            using var context = engine.CreateExecutionContext();
            AssertClose(expected, context.Execute(x, 2), engine.BackendName);
        }
    }

    [Fact]
    public void Every_axis_averages_across_the_batch_only_when_taken_whole()
    {
        long[] s = [3, 2, 2];
        var model = Model(13, [Node("ReduceMean", ["x"], ["y"], Int("keepdims", 0))], [Value("x", s)], [Value("y")]).Bytes();
        var ex = Assert.Throws<OnnxImportException>(() => OnnxNetworkLoader.Load(model, "all"));
        Assert.Contains("across the batch dimension", ex.Message, StringComparison.Ordinal);

        var loaded = OnnxNetworkLoader.Load(model, "all", new OnnxImportOptions { UnitBatch = true });
        Assert.Equal([1L], loaded.Imported.Outputs[0].Shape);
        using var engine = EngineBuilder.BuildCpu(loaded.Network, new BuilderConfig { MaxBatchSize = 1 });
        using var context = engine.CreateExecutionContext();
        var x = Random(12, seed: 2);
        AssertClose([(float)x.Average(v => (double)v)], context.Execute(x, 1), "cpu");
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f, $"{what}: y[{i}] = {actual[i]}, expected {expected[i]}");
        }
    }
}
