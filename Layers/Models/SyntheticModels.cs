using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Models;

/// <summary>
/// Networks of real shapes built through the API with deterministic random weights (uniform ±sqrt(3/fan-in), batch
/// norms near identity): for benchmarks, smoke runs and tests where the numbers only need to be reproducible.
/// </summary>
public static class SyntheticModels
{
    /// <summary>The names <see cref="ByName"/> knows.</summary>
    public const string Names = "synthetic:small-cnn, synthetic:resnet18, synthetic:resnet50";

    /// <summary>
    /// A small CNN on (1, 28, 28): conv 3×3 32 + BN + ReLU, max pool 2, conv 3×3 64 + BN + ReLU, max pool 2, flatten,
    /// fully connected 128 + ReLU, fully connected 10, softmax. Input "input", output "prob".
    /// </summary>
    public static NetworkDefinition SmallCnn(int seed = 1)
    {
        var r = new Random(seed);
        var net = new NetworkDefinition("small_cnn");
        var x = net.AddInput("input", new TensorDims(1, 28, 28));
        var t = ConvBnRelu(net, r, x, 32, 3, 1, 1, "conv1", relu: true);
        t = net.AddPooling(t, PoolingType.Max, 2, name: "pool1").Output;
        t = ConvBnRelu(net, r, t, 64, 3, 1, 1, "conv2", relu: true);
        t = net.AddPooling(t, PoolingType.Max, 2, name: "pool2").Output;
        t = net.AddFlatten(t, "flatten").Output;
        t = net.AddFullyConnected(t, 128, Uniform(r, 128 * 64 * 49, 64 * 49), Uniform(r, 128, 100), "fc1").Output;
        t = net.AddActivation(t, ActivationKind.Relu, name: "fc1_relu").Output;
        t = net.AddFullyConnected(t, 10, Uniform(r, 10 * 128, 128), Uniform(r, 10, 100), "fc2").Output;
        net.MarkOutput(net.AddSoftMax(t, "prob").Output);
        return net;
    }

    /// <summary>
    /// ResNet-18 (He et al.; torchvision's layout): conv 7×7/2 64 + BN + ReLU, max pool 3×3/2, four stages of two basic
    /// blocks (64, 128, 256, 512 channels; stride 2 and a 1×1 projection at the start of stages 2-4), global average
    /// pool, fully connected to <paramref name="classes"/>, softmax. Input "input" (3, size, size), output "prob".
    /// </summary>
    public static NetworkDefinition ResNet18(int inputSize = 224, int classes = 1000, int seed = 1)
    {
        var r = new Random(seed);
        var net = new NetworkDefinition("resnet18");
        var t = Stem(net, r, inputSize);
        int[] widths = [64, 128, 256, 512];
        for (var stage = 0; stage < 4; stage++)
        {
            for (var block = 0; block < 2; block++)
            {
                var stride = stage > 0 && block == 0 ? 2 : 1;
                var name = $"layer{stage + 1}.{block}";
                var a = ConvBnRelu(net, r, t, widths[stage], 3, stride, 1, name + ".conv1", relu: true);
                var b = ConvBnRelu(net, r, a, widths[stage], 3, 1, 1, name + ".conv2", relu: false);
                var shortcut = t.Dims.C == widths[stage] && stride == 1 ? t : ConvBnRelu(net, r, t, widths[stage], 1, stride, 0, name + ".downsample", relu: false);
                t = AddRelu(net, b, shortcut, name);
            }
        }

        Head(net, r, t, classes);
        return net;
    }

    /// <summary>
    /// ResNet-50 v1.5 (torchvision's layout): the ResNet-18 stem, four stages of 3, 4, 6 and 3 bottleneck blocks (widths
    /// 64, 128, 256, 512; each block 1×1 to the width + BN + ReLU, 3×3 carrying the stage's stride + BN + ReLU, 1×1 to 4 ×
    /// width + BN, plus the shortcut (a 1×1 projection with the stride + BN at the start of every stage), then ReLU),
    /// global average pool, fully connected 2048 → <paramref name="classes"/>, softmax. Input "input" (3, size, size),
    /// output "prob". v1.5 strides the 3×3 (v1 strided the first 1×1).
    /// </summary>
    public static NetworkDefinition ResNet50(int inputSize = 224, int classes = 1000, int seed = 1)
    {
        var r = new Random(seed);
        var net = new NetworkDefinition("resnet50");
        var t = Stem(net, r, inputSize);
        int[] widths = [64, 128, 256, 512];
        int[] blocks = [3, 4, 6, 3];
        for (var stage = 0; stage < 4; stage++)
        {
            var width = widths[stage];
            for (var block = 0; block < blocks[stage]; block++)
            {
                var stride = stage > 0 && block == 0 ? 2 : 1;
                var name = $"layer{stage + 1}.{block}";
                var a = ConvBnRelu(net, r, t, width, 1, 1, 0, name + ".conv1", relu: true);
                var b = ConvBnRelu(net, r, a, width, 3, stride, 1, name + ".conv2", relu: true);
                var c = ConvBnRelu(net, r, b, 4 * width, 1, 1, 0, name + ".conv3", relu: false);
                var shortcut = block > 0 ? t : ConvBnRelu(net, r, t, 4 * width, 1, stride, 0, name + ".downsample", relu: false);
                t = AddRelu(net, c, shortcut, name);
            }
        }

        Head(net, r, t, classes);
        return net;
    }

    /// <summary>A synthetic model by its command-line name: small-cnn, resnet18 or resnet50 (null when unknown).</summary>
    public static NetworkDefinition? ByName(string name) => name switch
    {
        "small-cnn" => SmallCnn(),
        "resnet18" => ResNet18(),
        "resnet50" => ResNet50(),
        _ => null,
    };

    /// <summary>The ResNet stem: input "input" (3, size, size), conv 7×7/2 64 + BN + ReLU, max pool 3×3/2.</summary>
    private static Tensor Stem(NetworkDefinition net, Random r, int inputSize)
    {
        var x = net.AddInput("input", new TensorDims(3, inputSize, inputSize));
        var t = ConvBnRelu(net, r, x, 64, 7, 2, 3, "conv1", relu: true);
        return net.AddPooling(t, PoolingType.Max, 3, stride: 2, padding: 1, name: "maxpool").Output;
    }

    /// <summary>The end of a residual block: relu(branch + shortcut), named NAME.add and NAME.relu.</summary>
    private static Tensor AddRelu(NetworkDefinition net, Tensor branch, Tensor shortcut, string name)
    {
        var sum = net.AddElementWise(branch, shortcut, ElementWiseOperation.Sum, name + ".add").Output;
        return net.AddActivation(sum, ActivationKind.Relu, name: name + ".relu").Output;
    }

    /// <summary>The ResNet head: global average pool, fully connected C → <paramref name="classes"/>, softmax "prob" (the output).</summary>
    private static void Head(NetworkDefinition net, Random r, Tensor t, int classes)
    {
        var features = t.Dims.C;
        t = net.AddGlobalPooling(t, PoolingType.Average, "avgpool").Output;
        t = net.AddFullyConnected(t, classes, Uniform(r, classes * features, features), Uniform(r, classes, 100), "fc").Output;
        net.MarkOutput(net.AddSoftMax(t, "prob").Output);
    }

    private static Tensor ConvBnRelu(NetworkDefinition net, Random r, Tensor x, int k, int kernel, int stride, int pad, string name, bool relu)
    {
        var fanIn = x.Dims.C * kernel * kernel;
        var t = net.AddConvolution(x, k, kernel, Uniform(r, k * fanIn, fanIn), null, stride, pad, name: name).Output;
        t = net.AddBatchNormalization(
            t, Values(r, k, 0f, 0.1f), Values(r, k, 1f, 0.2f), Values(r, k, 1f, 0.2f), Values(r, k, 0f, 0.1f), name: name.Replace("conv", "bn", StringComparison.Ordinal) + (name.Contains("conv", StringComparison.Ordinal) ? string.Empty : ".bn")).Output;
        return relu ? net.AddActivation(t, ActivationKind.Relu, name: name + ".relu").Output : t;
    }

    // Uniform in ±sqrt(3 / fanIn): unit variance through the layer.
    private static float[] Uniform(Random r, int count, int fanIn)
    {
        var bound = Math.Sqrt(3.0 / fanIn);
        var v = new float[count];
        for (var i = 0; i < count; i++)
        {
            v[i] = (float)(((r.NextDouble() * 2) - 1) * bound);
        }

        return v;
    }

    // Uniform in [center − spread, center + spread].
    private static float[] Values(Random r, int count, float center, float spread)
    {
        var v = new float[count];
        for (var i = 0; i < count; i++)
        {
            v[i] = center + (float)(((r.NextDouble() * 2) - 1) * spread);
        }

        return v;
    }
}
