using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// uint8 NHWC image input (<see cref="ExecutionContext.SetInputImages"/>): the same bits as float NCHW input prepared with
/// <see cref="Preprocessing.Apply"/>, on the folded stem (table in the fold) and on the CPU backend (host normalization).
/// </summary>
public sealed class ImageInputTests
{
    private static readonly Preprocessing ImageNet = new(1.0 / 255.0, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    [Fact]
    public void Table_is_normalization_then_quantize()
    {
        foreach (var scale in new[] { 2.64f / 127f, 0.5f / 127f })
        {
            var table = ExecutionContext.ImageTable(ImageNet, scale, 3);
            for (var c = 0; c < 3; c++)
            {
                for (var v = 0; v < 256; v++)
                {
                    Assert.Equal(QuantMath.Quantize(ImageNet.Apply(v, c), scale), table[(c * 256) + v]);
                }
            }

            if (scale < 0.01f)
            {
                // A narrow range saturates both ends.
                Assert.Equal(-127, table[0]);
                Assert.Equal(127, table[255]);
            }
        }
    }

    [Fact]
    public void Images_equal_float_input_on_the_accelerator_and_the_cpu_backend()
    {
        var net = Stem(11, 11, 8);
        var (images, floats) = Batch(net, 3, 5);
        TestNetworks.SetRanges(net, floats, 3);
        using var engines = Operators.OperatorEngines.Build(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true });
        Assert.Contains("input convert fused", engines.All[0].Layers.Single(l => l.Type == LayerType.Convolution).KernelName, StringComparison.Ordinal);
        foreach (var engine in engines.All)
        {
            Check(engine, images, floats, 3, $"images on {engine.BackendName}");
        }
    }

    [Fact]
    public void Streamed_images_equal_float_input_and_are_refused_where_the_host_normalizes()
    {
        var net = Stem(11, 11, 8);
        var (images, floats) = Batch(net, 3, 6);
        TestNetworks.SetRanges(net, floats, 3);
        using var engines = Operators.OperatorEngines.Build(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true });
        var accelerator = engines.All.Single(e => e.BackendName == "ilgpu-cpu");
        using var context = accelerator.CreateExecutionContext();
        var expected = context.Execute(floats, 3)[accelerator.Outputs[0].Name];
        int item = images.Length / 3;

        // Batches 3, 1, 2 of the same images through the pipeline: each equal to the float run of the same items.
        using (var runner = PipelinedRunner.ForImages(accelerator, ImageNet))
        {
            var outputs = runner.Run(new[] { images, images[..item], images[..(2 * item)] }.Select(b => new ReadOnlyMemory<byte>(b))).ToList();
            Exact.EqualBits(expected, outputs[0], "streamed images, batch 3");
            Exact.EqualBits(expected.AsSpan(0, expected.Length / 3), outputs[1], "streamed images, batch 1");
            Exact.EqualBits(expected.AsSpan(0, 2 * expected.Length / 3), outputs[2], "streamed images, batch 2");
        }

        var cpu = engines.All.First(e => e.BackendName == "cpu");
        var ex = Assert.Throws<NotSupportedException>(() => PipelinedRunner.ForImages(cpu, ImageNet));
        Assert.Contains("CPU backend", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PipelinedRunner<float>(accelerator, 2, ImageNet).Dispose());
    }

    [Fact]
    public void Bad_images_are_refused()
    {
        var net = Stem(11, 11, 8);
        var (images, floats) = Batch(net, 2, 6);
        TestNetworks.SetRanges(net, floats, 2);
        using var engine = TestNetworks.Build(net, 2, int8: true);
        using var context = engine.CreateExecutionContext();
        Assert.Throws<ArgumentException>(() => context.SetInputImages(images.AsSpan(1), 2, ImageNet));
        Assert.Throws<ArgumentException>(() => context.SetInputImages(images, 2, new Preprocessing(1.0 / 255.0, [0.5, 0.5], [0.2, 0.2])));
        Assert.Throws<ArgumentOutOfRangeException>(() => context.SetInputImages(images, 3, ImageNet));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Images_equal_float_input_on_gpu()
    {
        var device = TestDevices.Cuda;
        var net = Stem(64, 64, 64);
        var (images, floats) = Batch(net, 3, 7);
        TestNetworks.SetRanges(net, floats, 3);
        using var gpu = TestNetworks.Build(net, 3, int8: true, device: device);
        Check(gpu, images, floats, 3, "images on cuda");
        using var cpu = TestNetworks.Build(net, 3, int8: true);
        using var context = cpu.CreateExecutionContext();
        using var gpuContext = gpu.CreateExecutionContext();
        Exact.EqualBits(context.ExecuteImages(images, 3, ImageNet), gpuContext.ExecuteImages(images, 3, ImageNet), "images: cuda vs cpu accelerator");
    }

    // The ResNet stem in miniature: 7×7/2 pad 3, ReLU, 3×3/2 max pooling.
    private static NetworkDefinition Stem(int h, int w, int k)
    {
        var net = new NetworkDefinition("stem");
        var x = net.AddInput("data", new TensorDims(3, h, w));
        net.Sequential(x)
            .Convolution(k, 7, TestNetworks.Weights(k * 3 * 49, 147, 21), TestData.Float(k, 22, 0.2f), 2, 3, name: "conv1")
            .Relu("relu")
            .MaxPool(3, 2, 1, name: "pool")
            .MarkOutput();
        return net;
    }

    // Random images (with 0 and 255) and the float NCHW input they stand for.
    private static (byte[] Images, Dictionary<string, float[]> Floats) Batch(NetworkDefinition net, int n, int seed)
    {
        var d = net.Inputs[0].Dims;
        var images = TestData.Int8((int)(d.Volume * n), seed).Select(v => (byte)v).ToArray();
        images[0] = 0;
        images[1] = 255;
        var x = new float[images.Length];
        int plane = d.H * d.W;
        for (var i = 0; i < images.Length; i++)
        {
            int pixel = i / d.C, c = i % d.C, nn = pixel / plane, hw = pixel % plane;
            x[(((nn * d.C) + c) * plane) + hw] = ImageNet.Apply(images[i], c);
        }

        return (images, new Dictionary<string, float[]> { [net.Inputs[0].Name] = x });
    }

    // ExecuteImages equals Execute on the float input, at the full batch and batch 1, float and images alternating.
    private static void Check(Engine engine, byte[] images, Dictionary<string, float[]> floats, int n, string what)
    {
        using var context = engine.CreateExecutionContext();
        var name = engine.Outputs[0].Name;
        var expected = context.Execute(floats, n)[name];
        Exact.EqualBits(expected, context.ExecuteImages(images, n, ImageNet), what);
        var one = floats.ToDictionary(p => p.Key, p => p.Value[..(p.Value.Length / n)]);
        Exact.EqualBits(context.Execute(one, 1)[name], context.ExecuteImages(images.AsSpan(0, images.Length / n), 1, ImageNet), what + ", batch 1");
        Exact.EqualBits(expected, context.Execute(floats, n)[name], what + ", float again");
    }
}
