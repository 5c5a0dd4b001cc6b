using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Onnx;
using Xunit;
using NTensor = System.Numerics.Tensors.Tensor;

namespace ILGPUInt8.Tests.Runtime;

/// <summary>The span and tensor overloads of <see cref="Layers.Runtime.ExecutionContext"/>: same results, shapes checked by dimension.</summary>
public sealed class SpanExecutionTests
{
    private const int Batch = 4;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SpanExecuteMatchesArrays(bool int8)
    {
        using var engine = Build(int8);
        using var context = engine.CreateExecutionContext();
        var input = OnnxFixtures.FashionTestImages(Batch).Images;
        var expected = context.Execute(input, Batch);
        var output = new float[expected.Length];
        context.Execute(input.AsSpan(), output.AsSpan(), Batch);
        Assert.Equal(expected, output);

        // Again into the same caller-owned buffer (cleared first): the same values.
        Array.Clear(output);
        context.Execute(input.AsSpan(), output.AsSpan(), Batch);
        Assert.Equal(expected, output);
    }

    [Fact]
    public void TensorOverloadsCheckShapesByDimension()
    {
        using var engine = Build(int8: false);
        using var context = engine.CreateExecutionContext();
        var images = OnnxFixtures.FashionTestImages(Batch).Images;
        var expected = context.Execute(images, Batch);

        var input = NTensor.Create(images, Lengths(Batch, 1, 28, 28));
        var result = context.Execute(input);
        Assert.Equal([Batch, 10, 1, 1], result.Lengths.ToArray());
        Assert.Equal(expected, result.ToArray());

        // [N, 10] for a (10, 1, 1) output: trailing unit dimensions may be left out.
        var output = NTensor.Create(new float[Batch * 10], Lengths(Batch, 10));
        context.Execute(input.AsReadOnlyTensorSpan(), output.AsTensorSpan());
        Assert.Equal(expected, output.ToArray());

        // Channels-last data with the same element count is refused, not misread.
        var nhwc = NTensor.Create(images, Lengths(Batch, 28, 28, 1));
        var ex = Assert.Throws<ArgumentException>(() => { context.Execute(nhwc); });
        Assert.Contains("[N, 1, 28, 28]", ex.Message);
        Assert.Throws<ArgumentException>(() => context.Execute(input.AsReadOnlyTensorSpan(), NTensor.Create(new float[(Batch - 1) * 10], Lengths(Batch - 1, 10)).AsTensorSpan()));
        Assert.Throws<ArgumentException>(() => context.Execute(images.AsSpan(0, 10), new float[Batch * 10], Batch));
        Assert.Throws<ArgumentException>(() => context.SetInput("nope", images, Batch));
    }

    private static nint[] Lengths(params int[] lengths) => [.. lengths.Select(l => (nint)l)];

    private static Engine Build(bool int8)
    {
        var model = OnnxNetworkLoader.Load(int8 ? OnnxFixtures.FashionCnnQdq : OnnxFixtures.FashionCnn);
        return EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = Batch, Int8 = int8 });
    }
}
