using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using ILGPUInt8.Layers.Operators;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Operators;

/// <summary>
/// The general Transpose (Layers/Operators/Transpose/TransposeLayer.cs): the ONNX import of every permutation of a rank-4
/// tensor that keeps the batch, the ONNX reference, the FP32 engine on the ILGPU CPU accelerator and on the CPU backend
/// and after an engine file round trip, an INT8 engine (bit-exact permutation of the int8 values), all against
/// y[i] = x[j] with j[perm[k]] = i[k] written out here.
/// </summary>
public sealed class TransposeTests
{
    private static readonly long[] XShape = [2, 3, 4, 5];

    /// <summary>The permuted tensor, index by index (C order), independent of the layer's own map.</summary>
    private static float[] Expected(float[] x, long[] s, long[] perm)
    {
        long[] o = [.. perm.Select(p => s[p])];
        var y = new float[x.Length];
        int f = 0;
        for (long a = 0; a < o[0]; a++)
        {
            for (long b = 0; b < o[1]; b++)
            {
                for (long c = 0; c < o[2]; c++)
                {
                    for (long d = 0; d < o[3]; d++)
                    {
                        var j = new long[4];
                        j[perm[0]] = a;
                        j[perm[1]] = b;
                        j[perm[2]] = c;
                        j[perm[3]] = d;
                        y[f++] = x[(((((j[0] * s[1]) + j[1]) * s[2]) + j[2]) * s[3]) + j[3]];
                    }
                }
            }
        }

        return y;
    }

    public static TheoryData<long[]> Perms() => new(new long[] { 0, 1, 3, 2 }, new long[] { 0, 2, 1, 3 }, new long[] { 0, 2, 3, 1 }, new long[] { 0, 3, 1, 2 }, new long[] { 0, 3, 2, 1 }, new long[] { 0, 1, 2, 3 });

    [Theory]
    [MemberData(nameof(Perms))]
    public void Onnx_transpose_runs_on_both_backends_and_after_a_round_trip(long[] perm)
    {
        var x = Random(120, seed: 11);
        long[] yShape = [.. perm.Select(p => XShape[p])];
        var model = Model(13, [Node("Transpose", ["x"], ["y"], Ints("perm", perm))], [Value("x", XShape)], [Value("y", yShape)]);
        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "transpose");
        var expected = Expected(x, XShape, perm);
        Assert.Equal(expected, OnnxReference.Run(loaded.Imported, new Dictionary<string, ReferenceTensor> { ["x"] = new(XShape, x) })["y"].Data);

        using var engines = OperatorEngines.Build(loaded.Network, new BuilderConfig { MaxBatchSize = 2 });
        foreach (var engine in engines.All)
        {
            using var context = engine.CreateExecutionContext();
            Assert.Equal(expected, context.Execute(x, 2));
        }
    }

    [Fact]
    public void A_permutation_of_the_batch_is_refused_unless_the_tensors_are_taken_whole()
    {
        var model = Model(13, [Node("Transpose", ["x"], ["y"], Ints("perm", 2, 0, 1))], [Value("x", 2, 3, 4)], [Value("y", 4, 2, 3)]).Bytes();
        var ex = Assert.Throws<OnnxImportException>(() => OnnxNetworkLoader.Load(model, "t"));
        Assert.Contains("moves the batch dimension", ex.Message, StringComparison.Ordinal);

        var x = Random(24, seed: 5);
        var loaded = OnnxNetworkLoader.Load(model, "t", new OnnxImportOptions { UnitBatch = true });
        using var engine = EngineBuilder.BuildCpu(loaded.Network, new BuilderConfig { MaxBatchSize = 1 });
        using var context = engine.CreateExecutionContext();
        var y = context.Execute(x, 1);
        var expected = Expected(x, [1, 2, 3, 4], [0, 3, 1, 2]);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void Int8_engine_permutes_the_int8_values_keeping_the_scale()
    {
        var net = new NetworkDefinition("t8");
        var input = net.AddInput("x", new TensorDims(3, 4, 5));
        var t = net.AddTranspose(input, [3, 4, 5], [2, 0, 1], new TensorDims(5, 3, 4), "t");
        net.MarkOutput(t.Output);
        input.SetDynamicRange(-1f, 1f);
        t.Output.SetDynamicRange(-1f, 1f);

        // Multiples of 1/127 survive quantization exactly, so the INT8 result is the permutation itself.
        var x = Random(60, seed: 9).Select(v => MathF.Round(v * 127f) / 127f).ToArray();
        var expected = Expected(x, [1, 3, 4, 5], [0, 3, 1, 2]);
        foreach (var engine in new[] { EngineBuilder.BuildCpu(net, new BuilderConfig { Int8 = true, MaxBatchSize = 1 }), EngineBuilder.Build(net, new BuilderConfig { Int8 = true, MaxBatchSize = 1 }, Infrastructure.TestDevices.Cpu) })
        {
            using (engine)
            {
                Assert.Contains(engine.Plan.Nodes, n => n.Layer is TransposeLayer && n.Int8);
                using var context = engine.CreateExecutionContext();
                var y = context.Execute(x, 1);
                for (int i = 0; i < y.Length; i++)
                {
                    Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-6f, $"{engine.BackendName}: y[{i}] = {y[i]}, expected {expected[i]}");
                }
            }
        }
    }

    [Fact]
    public void A_perm_that_is_not_a_permutation_is_an_error()
    {
        var net = new NetworkDefinition("bad");
        var input = net.AddInput("x", new TensorDims(2, 3, 1));
        Assert.ThrowsAny<Exception>(() => net.AddTranspose(input, [2, 3], [0, 0], new TensorDims(3, 2, 1)));
    }
}
