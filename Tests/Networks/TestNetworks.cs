using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>Small networks built through the API with fixed-seed weights, and helpers to run and compare them.</summary>
internal static class TestNetworks
{
    /// <summary>Uniform weights in ±sqrt(3 / fanIn) (unit variance through a layer).</summary>
    public static float[] Weights(int count, int fanIn, int seed) => TestData.Float(count, seed, MathF.Sqrt(3f / fanIn));

    /// <summary>
    /// data (3, 8, 8) → conv 3×3 (8) + bias → batch norm → ReLU → max pool 2 → conv 3×3 (8) → ReLU → average pool 2
    /// → flatten → fully connected (10) → softmax; outputs "prob".
    /// </summary>
    public static NetworkDefinition SmallCnn(int seed = 1)
    {
        var net = new NetworkDefinition("small_cnn");
        var x = net.AddInput("data", new TensorDims(3, 8, 8));
        var s = net.Sequential(x)
            .Convolution(8, 3, Weights(8 * 3 * 9, 27, seed), TestData.Float(8, seed + 1, 0.1f), padding: 1, name: "conv1")
            .BatchNorm(
                TestData.Float(8, seed + 2, 0.2f), TestData.Float(8, seed + 3, 0.3f).Select(v => v + 1f).ToArray(),
                TestData.Float(8, seed + 4, 0.3f).Select(v => v + 1f).ToArray(), TestData.Float(8, seed + 5, 0.2f), name: "bn1")
            .Relu("relu1")
            .MaxPool(2, name: "pool1")
            .Convolution(8, 3, Weights(8 * 8 * 9, 72, seed + 6), null, padding: 1, name: "conv2")
            .Relu("relu2")
            .AveragePool(2, name: "pool2")
            .Flatten("flatten")
            .FullyConnected(10, Weights(10 * 32, 32, seed + 7), TestData.Float(10, seed + 8, 0.1f), name: "fc")
            .SoftMax("prob");
        s.MarkOutput();
        return net;
    }

    /// <summary>Input values for every network input, batch n, in ±1.</summary>
    public static Dictionary<string, float[]> Inputs(NetworkDefinition net, int n, int seed = 100) =>
        net.Inputs.Select((t, i) => (t.Name, Data: TestData.Float((int)(t.Dims.Volume * n), seed + i)))
            .ToDictionary(p => p.Name, p => p.Data, StringComparer.Ordinal);

    /// <summary>Sets every tensor's range to max |x| of the FP32 layer-by-layer reference on <paramref name="inputs"/>.</summary>
    public static void SetRanges(NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        foreach (var (name, t) in Thresholds(net, inputs, n))
        {
            net.FindTensor(name)?.SetDynamicRange(-t, t);
        }
    }

    /// <summary>max |x| of every tensor of the FP32 reference (1 for an all-zero tensor).</summary>
    public static Dictionary<string, float> Thresholds(NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        var plan = GraphLowering.Translate(net, n);
        var values = PlanReference.Run(plan, inputs, n);
        var result = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var (id, v) in values)
        {
            var max = ((float[])v).Max(Math.Abs);
            result[plan.Tensors[id].Name] = max > 0f ? max : 1f;
        }

        return result;
    }

    /// <summary>Runs an engine once on a new context.</summary>
    public static IReadOnlyDictionary<string, float[]> Run(Engine engine, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        using var context = engine.CreateExecutionContext();
        return context.Execute(inputs, n);
    }

    /// <summary>Every output bit-identical.</summary>
    public static void SameBits(IReadOnlyDictionary<string, float[]> expected, IReadOnlyDictionary<string, float[]> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            Exact.EqualBits(e, actual[name], $"{what}: output '{name}'");
        }
    }

    /// <summary>Every output within tolerance.</summary>
    public static void Near(IReadOnlyDictionary<string, float[]> expected, IReadOnlyDictionary<string, float[]> actual, string what, float rtol = 1e-4f, float atol = 1e-5f)
    {
        foreach (var (name, e) in expected)
        {
            Close.Equal(e, actual[name], $"{what}: output '{name}'", rtol, atol);
        }
    }

    /// <summary>Builds with a config on the CPU accelerator (or <paramref name="device"/>), FP32 layers strict FP32 (no TF32 on CUDA).</summary>
    public static Engine Build(NetworkDefinition net, int maxBatch, bool int8, bool fusion = true, bool reuse = true, Int8Device? device = null) =>
        EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = maxBatch, Int8 = int8, Fusion = fusion, MemoryReuse = reuse, Tf32 = false }, device ?? TestDevices.Cpu);

    /// <summary>An activation spec shorthand.</summary>
    public static ActivationSpec Act(ActivationKind kind, float alpha = 0f, float beta = 0f) => new(kind, alpha, beta);
}
