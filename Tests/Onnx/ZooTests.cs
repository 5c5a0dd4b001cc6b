using System.Diagnostics;
using System.Globalization;
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// The CNN model zoo (issue 24): torchvision's families and a detection-style head exported by
/// Models/zoo/export_zoo.py (seeded random weights, opsets 13 and 17, small inputs; .ci/run generates them into the
/// git-ignored Models/zoo/out, or ILGPUINT8_ZOO names another folder). Each model imports, builds FP32 and INT8 engines on
/// the CPU backend; FP32 outputs equal ONNX Runtime's within 1e-4 relative L2 on seeded inputs; INT8 engines calibrated
/// with min-max and with entropy on <see cref="CalibrationInputs"/> seeded inputs must reach a cosine of at least 0.98 with
/// FP32 on held-out inputs (the better of the two; both are reported and written to Models/zoo/out/results/). Skips
/// when the models are not generated.
/// </summary>
public sealed class ZooTests
{
    /// <summary>Seeded calibration inputs per model (8 batches of 8).</summary>
    public const int CalibrationInputs = 64;

    private const int Batch = 8;
    private const int Evaluated = 4;

    /// <summary>The zoo folder: ILGPUINT8_ZOO, else Models/zoo/out.</summary>
    public static string ZooDir =>
        Environment.GetEnvironmentVariable("ILGPUINT8_ZOO") is { Length: > 0 } dir ? dir : Path.Combine(OnnxFixtures.ModelsDir, "zoo", "out");

    /// <summary>The models export_zoo.py writes (name, input size).</summary>
    public static readonly (string Name, int Size)[] Models =
    [
        ("resnet50", 64), ("mobilenet_v2", 64), ("mobilenet_v3_small", 64), ("squeezenet1_1", 64), ("googlenet", 64),
        ("densenet121", 64), ("shufflenet_v2_x1_0", 64), ("efficientnet_b0", 64), ("vgg11", 32), ("detection_head", 64),
    ];

    /// <summary>Models whose operators the importer does not map yet, with what is missing (skipped, not failed).</summary>
    public static readonly Dictionary<string, string> Pending = new(StringComparer.Ordinal)
    {
    };

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var (name, _) in Models)
        {
            data.Add(name, 13);
            data.Add(name, 17);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Model_Fp32MatchesOnnxRuntime_Int8StaysClose(string name, int opset)
    {
        string path = Path.Combine(ZooDir, $"{name}_op{opset}.onnx");
        Assert.SkipUnless(File.Exists(path), $"{path} is absent: generate the zoo with /usr/bin/python3 Models/zoo/export_zoo.py (.ci/run does).");
        Assert.SkipWhen(Pending.ContainsKey(name), $"{name}: not imported yet ({Pending.GetValueOrDefault(name)}).");
        int size = Models.Single(m => m.Name == name).Size;
        var watch = Stopwatch.StartNew();
        var model = OnnxNetworkLoader.Load(path);
        string input = model.Network.Inputs[0].Name;
        int item = 3 * size * size;

        float[] eval = Gaussian(Evaluated * item, seed: 1000 + opset);
        using var fp32 = EngineBuilder.BuildCpu(model.Network, new BuilderConfig { MaxBatchSize = Batch });
        using var fp32Context = fp32.CreateExecutionContext();
        float[] ours = fp32Context.Execute(eval, Evaluated);
        float[] ort = Ort(path, eval, [Evaluated, 3, size, size]);
        Assert.Equal(ort.Length, ours.Length);
        double rel = RelativeL2(ort, ours);

        var calibration = Enumerable.Range(0, CalibrationInputs / Batch).Select(b => Gaussian(Batch * item, seed: 2000 + b)).ToList();
        double minMax = Int8Cosine(model.Network, new MaxAbsCalibrator(calibration.Select(c => ((IReadOnlyDictionary<string, float[]>)new Dictionary<string, float[]> { [input] = c }, Batch))), eval, ours);
        var batches = calibration.Select((c, i) => new CalibrationBatch(i, Batch, new Dictionary<string, HostTensor> { [input] = new HostTensor(c, Batch, 3, size, size) })).ToList();
        double entropy = Int8Cosine(model.Network, new CalibratorRanges(new Calibrator(Int8Device.Shared(), new EntropyCalibrator()), new InMemoryDataSource(batches)), eval, ours);

        string line = string.Create(CultureInfo.InvariantCulture,
            $"{name} op{opset}: FP32 rel L2 vs ONNX Runtime {rel:E2}; INT8 cosine vs FP32 min-max {minMax:F4}, entropy {entropy:F4}; {model.Network.Layers.Count} layers; {watch.Elapsed.TotalSeconds:F1} s");
        TestContext.Current.SendDiagnosticMessage(line);
        string results = Path.Combine(ZooDir, "results");
        Directory.CreateDirectory(results);
        AtomicFile.WriteAllText(Path.Combine(results, $"{name}_op{opset}.txt"), line + "\n");

        Assert.True(rel <= 1e-4, $"{name} op{opset}: FP32 relative L2 to ONNX Runtime {rel:E2} > 1e-4");
        Assert.True(Math.Max(minMax, entropy) >= 0.98, $"{name} op{opset}: INT8 cosine min-max {minMax:F4}, entropy {entropy:F4} < 0.98");
    }

    private static double Int8Cosine(NetworkDefinition network, IRangeCalibrator calibrator, float[] eval, float[] fp32)
    {
        using var engine = EngineBuilder.BuildCpu(network, new BuilderConfig { MaxBatchSize = Batch, Int8 = true, Calibrator = calibrator });
        using var context = engine.CreateExecutionContext();
        var y = context.Execute(eval, Evaluated);
        var error = new QuantizationError();
        error.Add(fp32, y);
        return error.Cosine;
    }

    /// <summary>Standard normal values (Box-Muller on a seeded generator): the models take normalized images.</summary>
    private static float[] Gaussian(int count, int seed)
    {
        var random = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        return x;
    }

    private static float[] Ort(string path, float[] data, int[] shape)
    {
        using var session = new InferenceSession(path);
        var tensor = new DenseTensor<float>(data, shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), tensor)]);
        return [.. results[0].AsEnumerable<float>()];
    }

    // ‖a − b‖ / ‖a‖, from the report's error accumulator.
    private static double RelativeL2(float[] a, float[] b)
    {
        var error = new QuantizationError();
        error.Add(a, b);
        return Math.Sqrt(error.ErrorSquares / error.SignalSquares);
    }
}
