using ILGPUInt8.Tests.Onnx;
using ILGPUInt8.Training;
using ILGPUInt8.Training.Inq;
using ILGPUInt8.Training.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace ILGPUInt8.Tests.Training;

/// <summary>INQ's weight sets, partition, a short run on the shipped images, and the exported model in ONNX Runtime.</summary>
public sealed class InqTests
{
    [Theory]
    [InlineData(5, 8)]
    [InlineData(4, 4)]
    [InlineData(3, 2)]
    [InlineData(2, 1)]
    public void ExponentRangeFollowsThePaper(int bits, int exponents)
    {
        // s = 0.9: n1 = ⌊log2(1.2)⌋ = 0; n2 = n1 + 1 − 2^(b−1)/2.
        var range = PowerOfTwo.ForLayer(0.9f, bits);
        Assert.Equal(0, range.N1);
        Assert.Equal(exponents, range.Exponents);
        Assert.Equal(1f, range.Quantize(0.9f));
        Assert.Equal(-1f, range.Quantize(-1.4f));
    }

    [Fact]
    public void QuantizeRoundsAtTheMidpointsOfAdjacentValues()
    {
        var range = new PowerOfTwo(0, -2); // {0, ±1/4, ±1/2, ±1}
        Assert.Equal(0f, range.Quantize(0.1249f));
        Assert.Equal(0.25f, range.Quantize(0.125f));        // (0 + 1/4)/2
        Assert.Equal(0.25f, range.Quantize(0.3749f));
        Assert.Equal(0.5f, range.Quantize(0.375f));         // (1/4 + 1/2)/2 = 3/4 · 1/2
        Assert.Equal(1f, range.Quantize(0.75f));
        Assert.Equal(1f, range.Quantize(7f));               // above 3/2 · 2^n1 clamps to 2^n1
        Assert.Equal(-0.5f, range.Quantize(-0.6f));
        Assert.True(range.Contains(-0.25f) && range.Contains(0) && !range.Contains(0.125f) && !range.Contains(0.3f));
    }

    [Fact]
    public void FreezeFixesTheLargestMagnitudesFirstAndAccumulates()
    {
        var p = new Parameter("w", [8], [0.1f, -0.9f, 0.3f, 0.05f, -0.6f, 0.2f, 0.7f, -0.01f], decay: true);
        var range = PowerOfTwo.ForLayer(0.9f, 5);
        IncrementalQuantizer.Freeze(p, range, 0.5);
        Assert.Equal(4, p.Frozen!.Count(f => f));
        Assert.True(p.Frozen![1] && p.Frozen[4] && p.Frozen[6] && p.Frozen[2]);
        IncrementalQuantizer.Freeze(p, range, 1.0);
        Assert.All(p.Value, v => Assert.True(range.Contains(v), $"{v} is not in the set"));
    }

    [Fact]
    public void ShortInqRunLeavesOnlyPowersOfTwoAndTheOnnxRuntimeAgrees()
    {
        var data = LabelledImages.LoadShipped(OnnxFixtures.RepositoryRoot);
        var train = data.Slice(0, 256);
        var test = data.Slice(2000, 200);
        var net = OnnxTrainable.Load(OnnxFixtures.FashionCnn);
        var options = new InqOptions { Bits = 4, EpochsPerStep = 0.25, BatchSize = 32, LearningRate = 0.005f };
        var rows = IncrementalQuantizer.Run(net, train, test, options);
        Assert.Equal(5, rows.Count);
        Assert.True(rows[^1].Top1 > 0.6, $"top-1 after INQ on 256 images: {rows[^1].Top1:P1}");
        foreach (var w in IncrementalQuantizer.QuantizedWeights(net))
        {
            int distinctExponents = w.Value.Where(v => v != 0).Select(v => Math.ILogB(Math.Abs(v))).Distinct().Count();
            Assert.True(distinctExponents <= 4, $"{w.Name}: {distinctExponents} exponents for 4 bits");
            Assert.All(w.Value, v => Assert.True(v == 0 || Math.ScaleB(1.0, Math.ILogB(Math.Abs(v))) == Math.Abs(v), $"{w.Name}: {v}"));
        }

        var path = Path.Combine(Path.GetTempPath(), $"inq-test-{Environment.ProcessId}.onnx");
        try
        {
            OnnxTrainable.Export(OnnxFixtures.FashionCnn, net, path);
            var (images, _) = OnnxFixtures.FashionTestImages(32);
            using var session = new InferenceSession(path);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(images, [32, 1, 28, 28]))]);
            var ort = results[0].AsEnumerable<float>().ToArray();
            var logits = net.Forward(images, 32);
            for (var n = 0; n < 32; n++)
            {
                var (_, softmaxGradient) = SoftmaxCrossEntropy.Compute(logits.AsSpan(n * 10, 10), [0], 10);
                for (var k = 0; k < 10; k++)
                {
                    // p = ∂loss/∂z + [k = 0] for batch 1.
                    double p = softmaxGradient[k] + (k == 0 ? 1 : 0);
                    Assert.True(Math.Abs(p - ort[(n * 10) + k]) < 1e-4, $"image {n} class {k}: ours {p}, ONNX Runtime {ort[(n * 10) + k]}");
                }
            }

            var reloaded = OnnxTrainable.Load(path);
            Assert.All(IncrementalQuantizer.QuantizedWeights(reloaded).Zip(IncrementalQuantizer.QuantizedWeights(net)), pair => Assert.Equal(pair.Second.Value, pair.First.Value));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TrainingIsDeterministicForASeed()
    {
        var data = LabelledImages.LoadShipped(OnnxFixtures.RepositoryRoot).Slice(0, 96);
        float[] Run()
        {
            var net = OnnxTrainable.Load(OnnxFixtures.FashionCnn);
            Trainer.Epoch(net, data, new SgdMomentum(0.01f), 32, seed: 7);
            return [.. net.Parameters.SelectMany(p => p.Value)];
        }

        Assert.Equal(Run(), Run());
    }
}
