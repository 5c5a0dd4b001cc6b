using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// ML.NET's ResNet18 imported by <see cref="OnnxNetworkLoader"/> and run by the engine (CPU backend): FP32 features equal
/// ONNX Runtime's within 1e-4 relative L2 on a random and a smooth, image-like input; INT8 features after min-max
/// calibration on other inputs stay close to FP32 on held-out ones (cosine, SQNR).
/// </summary>
public sealed class ResNet18EngineTests
{
    private const string Input = "Input247";
    private const int Pixels = 3 * 224 * 224;

    [Fact]
    public void ResNet18_fp32_engine_matches_onnx_runtime_and_int8_stays_close()
    {
        Assert.SkipUnless(File.Exists(OnnxFixtures.ResNet18), $"ResNet18.onnx not found at {OnnxFixtures.ResNet18}.");
        var model = OnnxNetworkLoader.Load(OnnxFixtures.ResNet18);

        // CNTK's pads (3, 3, 2, 2) of the stem and (1, 1, 0, 0) of the max pooling give the same output size as their
        // symmetric forms, so they go to the layers: no Padding layer (an extra pass over the largest activations).
        Assert.DoesNotContain(model.Network.Layers, l => l.Type == LayerType.Padding);
        float[] random = OnnxProtoBuilder.Random(Pixels, 18).Select(v => ((v + 1) * 127.5f) - 117f).ToArray();
        float[] smooth = Smooth(0.3);
        float[] both = [.. random, .. smooth];

        using var fp32 = EngineBuilder.BuildCpu(model.Network, new BuilderConfig { MaxBatchSize = 2 });
        using var fp32Context = fp32.CreateExecutionContext();
        var features = fp32Context.Execute(both, 2);
        float[] ort = [.. Ort(random), .. Ort(smooth)];
        for (int item = 0; item < 2; item++)
        {
            double rel = RelativeL2(ort.AsSpan(item * 512, 512), features.AsSpan(item * 512, 512));
            Assert.True(rel <= 1e-4, $"{(item == 0 ? "random" : "smooth")} input: relative L2 to ONNX Runtime {rel:E2}");
        }

        // INT8: ranges from two other smooth images; compared on the two held-out ones.
        float[] calibration = [.. Smooth(1.1), .. Smooth(2.7)];
        var config = new BuilderConfig
        {
            MaxBatchSize = 2,
            Int8 = true,
            Calibrator = new MaxAbsCalibrator([(new Dictionary<string, float[]> { [Input] = calibration }, 2)]),
        };
        using var int8 = EngineBuilder.BuildCpu(model.Network, config);
        using var int8Context = int8.CreateExecutionContext();
        var quantized = int8Context.Execute(both, 2);
        double cosine = 0;
        for (int item = 0; item < 2; item++)
        {
            var error = new QuantizationError();
            error.Add(features.AsSpan(item * 512, 512), quantized.AsSpan(item * 512, 512));
            TestContext.Current.SendDiagnosticMessage($"ResNet18 INT8 vs FP32, item {item}: cosine {error.Cosine:F5}, SQNR {error.SqnrDb:F1} dB");
            cosine += error.Cosine / 2;
        }

        Assert.True(cosine >= 0.99, $"mean cosine of INT8 and FP32 features {cosine:F4} < 0.99");
    }

    // An image-like input: smooth colour gradients and blobs in [0, 255], minus the model's mean 117.
    private static float[] Smooth(double phase)
    {
        var x = new float[Pixels];
        for (int c = 0; c < 3; c++)
        {
            for (int h = 0; h < 224; h++)
            {
                for (int w = 0; w < 224; w++)
                {
                    double v = 127.5 + (90 * Math.Sin((w / 17.0) + phase + c)) * Math.Cos((h / 23.0) - phase) + (30 * Math.Sin((h + w) / 9.0));
                    x[(((c * 224) + h) * 224) + w] = (float)Math.Clamp(v, 0, 255) - 117f;
                }
            }
        }

        return x;
    }

    // The model's input has batch 1.
    private static float[] Ort(float[] data)
    {
        using var session = new InferenceSession(OnnxFixtures.ResNet18);
        var tensor = new DenseTensor<float>(data, [1, 3, 224, 224]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(Input, tensor)]);
        return [.. results.First().AsEnumerable<float>()];
    }

    // ‖a − b‖ / ‖a‖, from the report's error accumulator.
    private static double RelativeL2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var error = new QuantizationError();
        error.Add(a, b);
        return Math.Sqrt(error.ErrorSquares / error.SignalSquares);
    }
}
