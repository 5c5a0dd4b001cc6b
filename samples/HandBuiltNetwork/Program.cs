// A network built by hand, TensorRT-style: layers added one by one with their weights, activation ranges set per
// tensor with SetDynamicRange (what a calibration table would give), FP32 and INT8 engines built and compared.
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

const int Batch = 8;
var input = Uniform(new Random(1), Batch * 3 * 32 * 32, 1f);

// 1. Ranges: one FP32 run of the network with every layer's output marked, max |x| per tensor.
var probe = Build(markEveryLayer: true);
var ranges = new Dictionary<string, float>();
using (var engine = EngineBuilder.Build(probe, new BuilderConfig { MaxBatchSize = Batch }))
using (var context = engine.CreateExecutionContext())
{
    foreach (var (name, values) in context.Execute(new Dictionary<string, float[]> { ["data"] = input }, Batch))
    {
        ranges[name] = Math.Max(values.Max(Math.Abs), 1e-3f);
    }
}

// 2. The network again, its tensors given those ranges: INT8 needs no calibrator now.
var net = Build(markEveryLayer: false);
net.Inputs[0].SetDynamicRange(-1f, 1f);
foreach (var layer in net.Layers)
{
    layer.Output.SetDynamicRange(-ranges[layer.Output.Name], ranges[layer.Output.Name]);
}

using var fp32 = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = Batch });
using var int8 = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = Batch, Int8 = true });
Console.WriteLine(int8.Describe());
var a = Run(fp32);
var b = Run(int8);
var cosine = a.Zip(b, (p, q) => (double)p * q).Sum() / Math.Sqrt(a.Sum(p => (double)p * p) * b.Sum(q => (double)q * q));
Console.WriteLine($"FP32 vs INT8 logits: cosine {cosine:F5}, max |difference| {a.Zip(b, (p, q) => Math.Abs(p - q)).Max():F4}");

float[] Run(Engine engine)
{
    using var context = engine.CreateExecutionContext();
    var output = new float[Batch * 10];
    context.Execute(input, output, Batch);
    return output;
}

// conv3x3(16) → ReLU → max pool 2 → conv3x3(32) → ReLU → global average pool → FC(10), seeded weights.
static NetworkDefinition Build(bool markEveryLayer)
{
    var random = new Random(7);
    var net = new NetworkDefinition("hand-built");
    var x = net.AddInput("data", new TensorDims(3, 32, 32));           // per item (C, H, W); the batch comes at run time
    net.Sequential(x)
        .Convolution(16, 3, Uniform(random, 16 * 3 * 3 * 3, 0.2f), Uniform(random, 16, 0.1f), padding: 1, name: "conv1").Relu("relu1")
        .MaxPool(2, name: "pool1")
        .Convolution(32, 3, Uniform(random, 32 * 16 * 3 * 3, 0.08f), Uniform(random, 32, 0.1f), padding: 1, name: "conv2").Relu("relu2")
        .GlobalAveragePool("gap").Flatten("flat")
        .FullyConnected(10, Uniform(random, 10 * 32, 0.3f), name: "fc")
        .MarkOutput();
    if (markEveryLayer)
    {
        foreach (var layer in net.Layers.Where(l => !l.Output.IsNetworkOutput))
        {
            net.MarkOutput(layer.Output);
        }
    }

    return net;
}

// Values uniform in [-scale, scale].
static float[] Uniform(Random random, int count, float scale) =>
    [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];
