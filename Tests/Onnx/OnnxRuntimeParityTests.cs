using System.Diagnostics;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>The imported networks on the scalar reference interpreter against ONNX Runtime on the same files.</summary>
public class OnnxRuntimeParityTests
{
    private static float[] RunOrt(string path, string input, float[] data, int[] shape)
    {
        using var session = new InferenceSession(path);
        var tensor = new DenseTensor<float>(data, shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
        return [.. results[0].AsEnumerable<float>()];
    }

    private static (double MaxDiff, int ArgmaxAgree) Compare(float[] expected, float[] actual, int rows, int columns)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        int agree = 0;
        for (int r = 0; r < rows; r++)
        {
            var e = expected.AsSpan(r * columns, columns);
            var a = actual.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                max = Math.Max(max, Math.Abs(e[c] - a[c]));
            }
            agree += e.IndexOf(MaxOf(e)) == a.IndexOf(MaxOf(a)) ? 1 : 0;
        }
        return (max, agree);
    }

    private static float MaxOf(ReadOnlySpan<float> v)
    {
        float m = float.NegativeInfinity;
        foreach (float x in v)
        {
            m = Math.Max(m, x);
        }
        return m;
    }

    [Fact]
    public void FashionCnn_ReferenceMatchesOnnxRuntime()
    {
        const int n = 16;
        var input = OnnxFixtures.FashionInput(n);
        var expected = RunOrt(OnnxFixtures.FashionCnn, "input", input.Data, [n, 1, 28, 28]);

        var network = OnnxImporter.Import(OnnxFixtures.FashionCnn);
        var actual = OnnxReference.Run(network, new Dictionary<string, ReferenceTensor> { ["input"] = input })["probabilities"];

        Assert.Equal([(long)n, 10], actual.Shape);
        var (max, agree) = Compare(expected, actual.Data, n, 10);
        Assert.True(max < 1e-5, $"max |reference − ORT| = {max}");
        Assert.Equal(n, agree);
    }

    [Fact]
    public void FashionCnnQdq_ReferenceWithTheQdqRangesMatchesOnnxRuntime()
    {
        const int n = 16;
        var input = OnnxFixtures.FashionInput(n);
        var expected = RunOrt(OnnxFixtures.FashionCnnQdq, "input", input.Data, [n, 1, 28, 28]);

        var network = OnnxImporter.Import(OnnxFixtures.FashionCnnQdq);
        var actual = OnnxReference.Run(network, new Dictionary<string, ReferenceTensor> { ["input"] = input }, simulateRanges: true)["probabilities"];

        // Symmetric int8 drops the −128 level of the model's uint8 (zero point 128) and rounds x / s in double:
        // a few quantization steps may differ, so the bound is loose; the classes must agree.
        var (max, agree) = Compare(expected, actual.Data, n, 10);
        Assert.True(max < 2e-2, $"max |reference − ORT| = {max}");
        Assert.Equal(n, agree);
    }

    [Fact]
    public void ResNet18_ReferenceMatchesOnnxRuntime()
    {
        Assert.SkipUnless(File.Exists(OnnxFixtures.ResNet18), $"ResNet18.onnx not found at {OnnxFixtures.ResNet18}.");
        int[] shape = [1, 3, 224, 224];
        float[] data = OnnxProtoBuilder.Random(3 * 224 * 224, 18).Select(v => (v + 1) * 127.5f - 117f).ToArray();
        var expected = RunOrt(OnnxFixtures.ResNet18, "Input247", data, shape);

        var network = OnnxImporter.Import(OnnxFixtures.ResNet18);
        var watch = Stopwatch.StartNew();
        var actual = OnnxReference.Run(network, new Dictionary<string, ReferenceTensor> { ["Input247"] = new([1, 3, 224, 224], data) });
        var features = actual[network.Outputs[0].Name];
        TestContext.Current.SendDiagnosticMessage($"ResNet18 reference: {watch.Elapsed.TotalSeconds:F1} s");

        Assert.Equal([1L, 512, 1, 1], features.Shape);
        double scale = expected.Max(Math.Abs);
        var (max, _) = Compare(expected, features.Data, 1, 512);
        Assert.True(max <= 1e-4 * scale, $"max |reference − ORT| = {max} (features up to {scale})");
    }
}
