using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// <see cref="OnnxImportOptions.UnitBatch"/>: tensors taken whole as one item of an engine of batch 1, so nodes work
/// along dimension 0 (concatenation, flatten, softmax, split); operators that need a batch of items are refused.
/// </summary>
public class UnitBatchImportTests
{
    private static readonly OnnxImportOptions Whole = new() { UnitBatch = true };

    private static float[] Run(byte[] model, Dictionary<string, float[]> inputs, string output)
    {
        var loaded = OnnxNetworkLoader.Load(model, "unit-batch", Whole);
        Assert.True(loaded.Imported.UnitBatch);
        using var engine = EngineBuilder.Build(loaded.Network, new BuilderConfig { MaxBatchSize = 1 }, TestDevices.Cpu);
        using var context = engine.CreateExecutionContext();
        return context.Execute(inputs, 1)[output];
    }

    [Fact]
    public void Concat_along_dimension_0_then_softmax_along_it()
    {
        // y = concat([a; b], axis 0) of two [2, 3]: [4, 3]; z = softmax(y, axis 0): each column normalized over 4 rows.
        var model = Model(13,
            [Node("Concat", ["a", "b"], ["y"], Int("axis", 0)), Node("Softmax", ["y"], ["z"], Int("axis", 0))],
            [Value("a", 2, 3), Value("b", 2, 3)], [Value("z", 4, 3)]).Bytes();
        Assert.Throws<OnnxImportException>(() => OnnxNetworkLoader.Load(model));

        float[] a = [1, 2, 3, 4, 5, 6], b = [-1, 0, 1, 2, -3, 0.5f];
        var z = Run(model, new() { ["a"] = a, ["b"] = b }, "z");
        float[] y = [.. a, .. b];
        Assert.Equal(12, z.Length);
        for (int col = 0; col < 3; col++)
        {
            double sum = Enumerable.Range(0, 4).Sum(r => Math.Exp(y[(r * 3) + col]));
            for (int r = 0; r < 4; r++)
            {
                double expected = Math.Exp(y[(r * 3) + col]) / sum;
                Assert.True(Math.Abs(z[(r * 3) + col] - expected) <= 1e-6, $"z[{r}, {col}] = {z[(r * 3) + col]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void Flatten_axis_0_and_a_per_element_constant_repeated_over_dimension_0()
    {
        // x [2, 3, 2] + c [3, 2] (c repeats over dimension 0), then Flatten(axis 0): [1, 12] in C order.
        float[] c = [10, 20, 30, 40, 50, 60];
        var model = Model(13,
            [Node("Add", ["x", "c"], ["s"]), Node("Flatten", ["s"], ["y"], Int("axis", 0))],
            [Value("x", 2, 3, 2)], [Value("y", 1, 12)], [Floats("c", [3, 2], c)]).Bytes();
        float[] x = [.. Enumerable.Range(0, 12).Select(i => (float)i)];
        var y = Run(model, new() { ["x"] = x }, "y");
        Assert.Equal([.. x.Select((v, i) => v + c[i % 6])], y);
    }

    [Fact]
    public void Split_along_dimension_0_gives_the_row_blocks()
    {
        var model = Model(13, [Node("Split", ["x"], ["p", "q"], Int("axis", 0))], [Value("x", 4, 2)], [Value("p", 2, 2), Value("q", 2, 2)]).Bytes();
        var loaded = OnnxNetworkLoader.Load(model, "split", Whole);
        using var engine = EngineBuilder.Build(loaded.Network, new BuilderConfig { MaxBatchSize = 1 }, TestDevices.Cpu);
        using var context = engine.CreateExecutionContext();
        var outputs = context.Execute(new Dictionary<string, float[]> { ["x"] = [1, 2, 3, 4, 5, 6, 7, 8] }, 1);
        Assert.Equal([1f, 2, 3, 4], outputs["p"]);
        Assert.Equal([5f, 6, 7, 8], outputs["q"]);
    }

    [Fact]
    public void A_convolution_needs_a_batch_of_items_and_is_refused_naming_it()
    {
        var model = Model(13, [Node("Conv", ["x", "w"], ["y"])], [Value("x", 1, 1, 3, 3)], [Value("y", 1, 1, 3, 3)],
            [Floats("w", [1, 1, 1, 1], [2f])]).Bytes();
        var ex = Assert.Throws<OnnxImportException>(() => OnnxNetworkLoader.Load(model, "conv", Whole));
        Assert.Contains("needs dimension 0 as a batch of items", ex.Message, StringComparison.Ordinal);
        Assert.Equal("Conv", ex.OpType);
    }

    [Fact]
    public void Dimension_0_must_be_known()
    {
        var model = Model(13, [Node("Relu", ["x"], ["y"])], [Value("x", -1, 3)], [Value("y", -1, 3)]).Bytes();
        Assert.Throws<OnnxImportException>(() => OnnxNetworkLoader.Load(model, "relu", Whole));
        var known = Model(13, [Node("Relu", ["x"], ["y"])], [Value("x", 1, 3)], [Value("y", 1, 3)]).Bytes();
        Assert.Equal([0f, 2, 0], Run(known, new() { ["x"] = [-1, 2, -3] }, "y"));
    }
}
