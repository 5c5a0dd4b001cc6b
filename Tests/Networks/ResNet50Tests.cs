using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>The synthetic ResNet-50 v1.5: torchvision's shapes, and FP32/INT8 engines on the CPU backend at a small input.</summary>
public sealed class ResNet50Tests
{
    [Fact]
    public void Synthetic_resnet50_has_torchvisions_shapes_and_parameter_count()
    {
        var net = SyntheticModels.ResNet50();
        var convolutions = net.Layers.OfType<ConvolutionLayer>().ToList();

        // 1 stem + 16 bottlenecks × 3 + 4 projections.
        Assert.Equal(53, convolutions.Count);
        Assert.Equal(53, net.Layers.OfType<BatchNormLayer>().Count());

        // torchvision.models.resnet50(): 25 557 032 parameters (conv weights, BN γ and β, fc weights and bias).
        long parameters = convolutions.Sum(c => (long)c.Weights.Length)
            + net.Layers.OfType<BatchNormLayer>().Sum(b => 2L * b.Gamma.Length)
            + net.Layers.OfType<FullyConnectedLayer>().Sum(f => (long)f.Weights.Length + f.Bias.Length);
        Assert.Equal(25_557_032, parameters);

        // v1.5: the stride sits on the 3×3 of a stage's first block, with the projection.
        var stride = (string name) => ((ConvolutionLayer)net.FindLayer(name)!).Stride;
        Assert.Equal(new Size2(1, 1), stride("layer2.0.conv1"));
        Assert.Equal(new Size2(2, 2), stride("layer2.0.conv2"));
        Assert.Equal(new Size2(2, 2), stride("layer2.0.downsample"));
        Assert.Equal(new TensorDims(256, 56, 56), net.FindLayer("layer1.2.relu")!.Output.Dims);
        Assert.Equal(new TensorDims(2048, 7, 7), net.FindLayer("layer4.2.relu")!.Output.Dims);
        Assert.Equal(new TensorDims(1000, 1, 1), net.Outputs[0].Dims);
        Assert.Null(net.FindLayer("layer4.3.conv1"));
    }

    [Fact]
    public void Small_resnet50_fp32_matches_the_reference_and_int8_stays_close()
    {
        const int n = 2;
        var net = SyntheticModels.ResNet50(32, 10);
        net.MarkOutput(net.FindLayer("fc")!.Output);
        var inputs = TestNetworks.Inputs(net, n);
        using var fp32 = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = n });
        var f = TestNetworks.Run(fp32, inputs, n);
        TestNetworks.Near(NetworkReference.Run(net, inputs, n), f, "resnet50-32 cpu fp32", 1e-3f, 1e-5f);

        var calibrator = new MaxAbsCalibrator([(inputs, n)]);
        using var int8 = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = n, Int8 = true, Calibrator = calibrator });
        Assert.True(int8.Layers.Count(l => l.Int8 && l.Type == LayerType.Convolution) == 53, int8.Describe());
        var q = TestNetworks.Run(int8, inputs, n);
        foreach (var name in new[] { "fc", "prob" })
        {
            Assert.Equal(10 * n, q[name].Length);
            for (var item = 0; item < n; item++)
            {
                var cosine = Cosine(f[name].AsSpan(item * 10, 10), q[name].AsSpan(item * 10, 10));
                Assert.True(cosine >= 0.99, $"resnet50-32 int8 vs fp32 '{name}' item {item}: cosine {cosine:F5}");
            }
        }
    }

    // cos(a, b) = Σ a·b / sqrt(Σ a² · Σ b²).
    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }

        return ab / Math.Sqrt(aa * bb);
    }
}
