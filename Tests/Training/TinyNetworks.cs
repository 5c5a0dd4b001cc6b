using ILGPUInt8.Training;
using ILGPUInt8.Training.Layers;

namespace ILGPUInt8.Tests.Training;

/// <summary>Small seeded networks for the training tests.</summary>
internal static class TinyNetworks
{
    /// <summary>conv3x3(3) → BN → ReLU → maxpool 2 → flatten → FC(4) → ReLU → FC(3) on 6 × 6 × 1 inputs.</summary>
    public static TrainableNetwork Cnn(int seed)
    {
        var random = new Random(seed);
        float[] R(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale))];
        var input = new FeatureShape(6, 6, 1);
        var conv = new Conv2d("conv", input, new Parameter("conv.w", [3, 1, 3, 3], R(27, 0.5), true), null, 1);
        var bn = new BatchNormAffine("bn", conv.Output, new Parameter("bn.g", [3], [1f, 0.8f, 1.2f], false), new Parameter("bn.b", [3], R(3, 0.1), false),
            R(3, 0.1), [1f, 0.5f, 2f], 1e-5f);
        var relu = new Relu("relu", bn.Output);
        var pool = new MaxPool2d("pool", relu.Output, 2, 2);
        var flatten = new Flatten("flatten", pool.Output);
        var fc1 = new Linear("fc1", flatten.Output, new Parameter("fc1.w", [4, 27], R(108, 0.3), true), new Parameter("fc1.b", [4], R(4, 0.1), false));
        var relu2 = new Relu("relu2", fc1.Output);
        var fc2 = new Linear("fc2", relu2.Output, new Parameter("fc2.w", [3, 4], R(12, 0.5), true), new Parameter("fc2.b", [3], R(3, 0.1), false));
        return new TrainableNetwork([conv, bn, relu, pool, flatten, fc1, relu2, fc2]);
    }
}
