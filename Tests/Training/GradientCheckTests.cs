using ILGPUInt8.Training;
using ILGPUInt8.Training.Layers;
using Xunit;

namespace ILGPUInt8.Tests.Training;

/// <summary>
/// Every backward pass against central finite differences: loss L = Σ r ⊙ f(x) for a fixed random r, so ∂L/∂y = r;
/// each input and parameter element is nudged by ±h and (L(+h) − L(−h)) / 2h compared with the analytic gradient.
/// </summary>
public sealed class GradientCheckTests
{
    private const float H = 1e-2f;

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return v;
    }

    // Inputs away from 0 and pairwise distinct (ReLU's kink and max pooling's ties stay farther than H).
    private static float[] Spread(int n, int seed)
    {
        var random = new Random(seed);
        var order = Trainer.Shuffle(n, seed);
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            float magnitude = 0.1f + (0.05f * order[i]);
            v[i] = random.Next(2) == 0 ? magnitude : -magnitude;
        }

        return v;
    }

    private static double Loss(ITrainLayer layer, float[] x, int batch, float[] r)
    {
        var y = layer.Forward(x, batch);
        double sum = 0;
        for (var i = 0; i < y.Length; i++)
        {
            sum += (double)y[i] * r[i];
        }

        return sum;
    }

    private static void AssertClose(double numeric, double analytic, string what)
    {
        double tolerance = 2e-3 + (1e-2 * Math.Abs(numeric));
        Assert.True(Math.Abs(numeric - analytic) <= tolerance, $"{what}: finite difference {numeric:G6}, backward {analytic:G6}");
    }

    private static void Check(ITrainLayer layer, float[] x, int batch, int seed)
    {
        var r = Random(batch * layer.Output.Volume, seed + 1);
        layer.Forward(x, batch);
        var dx = layer.Backward(r, needInputGradient: true)!;
        var grads = layer.Parameters.Select(p => (float[])p.Grad.Clone()).ToList();
        for (var i = 0; i < x.Length; i++)
        {
            float keep = x[i];
            x[i] = keep + H;
            double plus = Loss(layer, x, batch, r);
            x[i] = keep - H;
            double minus = Loss(layer, x, batch, r);
            x[i] = keep;
            AssertClose((plus - minus) / (2 * H), dx[i], $"{layer.Name} dx[{i}]");
        }

        for (var p = 0; p < layer.Parameters.Count; p++)
        {
            var values = layer.Parameters[p].Value;
            for (var i = 0; i < values.Length; i++)
            {
                float keep = values[i];
                values[i] = keep + H;
                double plus = Loss(layer, x, batch, r);
                values[i] = keep - H;
                double minus = Loss(layer, x, batch, r);
                values[i] = keep;
                AssertClose((plus - minus) / (2 * H), grads[p][i], $"{layer.Name} d{layer.Parameters[p].Name}[{i}]");
            }
        }
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Conv2dWeightDataAndBiasGradients(int pad, bool bias)
    {
        var input = new FeatureShape(5, 6, 3);
        var w = new Parameter("w", [4, 3, 3, 3], Random(4 * 3 * 9, 3), decay: true);
        var b = bias ? new Parameter("b", [4], Random(4, 4), decay: false) : null;
        var layer = new Conv2d("conv", input, w, b, pad);
        Check(layer, Random(2 * input.Volume, 5), 2, 6);
    }

    [Fact]
    public void Conv2dRectangularKernelHasTheRightDataGradient()
    {
        var input = new FeatureShape(4, 5, 2);
        var layer = new Conv2d("conv1x3", input, new Parameter("w", [3, 2, 1, 3], Random(18, 7), decay: true), null, 0);
        Check(layer, Random(3 * input.Volume, 8), 3, 9);
    }

    [Fact]
    public void LinearGradients()
    {
        var input = new FeatureShape(1, 1, 7);
        var layer = new Linear("fc", input, new Parameter("w", [5, 7], Random(35, 10), true), new Parameter("b", [5], Random(5, 11), false));
        Check(layer, Random(3 * 7, 12), 3, 13);
    }

    [Fact]
    public void ReluGradient()
    {
        var shape = new FeatureShape(3, 3, 2);
        Check(new Relu("relu", shape), Spread(2 * shape.Volume, 14), 2, 15);
    }

    [Fact]
    public void MaxPoolGradient()
    {
        var shape = new FeatureShape(4, 6, 3);
        Check(new MaxPool2d("pool", shape, 2, 2), Spread(2 * shape.Volume, 16), 2, 17);
        Check(new MaxPool2d("pool3s1", shape, 3, 1), Spread(2 * shape.Volume, 18), 2, 19);
    }

    [Fact]
    public void BatchNormInferenceFormGradients()
    {
        var shape = new FeatureShape(2, 3, 4);
        var layer = new BatchNormAffine("bn", shape, new Parameter("g", [4], Random(4, 20), false), new Parameter("b", [4], Random(4, 21), false),
            Random(4, 22), [0.5f, 1.5f, 2f, 0.1f], 1e-5f);
        Check(layer, Random(2 * shape.Volume, 23), 2, 24);
    }

    [Fact]
    public void FlattenGradientIsTheInversePermutation()
    {
        var shape = new FeatureShape(2, 3, 4);
        Check(new Flatten("flatten", shape), Random(2 * shape.Volume, 25), 2, 26);
    }

    [Fact]
    public void SoftmaxCrossEntropyGradient()
    {
        const int classes = 6, batch = 3;
        var z = Random(batch * classes, 27, 3f);
        byte[] labels = [0, 5, 2];
        var (_, analytic) = SoftmaxCrossEntropy.Compute(z, labels, classes);
        for (var i = 0; i < z.Length; i++)
        {
            float keep = z[i];
            z[i] = keep + H;
            double plus = SoftmaxCrossEntropy.Compute(z, labels, classes).Loss;
            z[i] = keep - H;
            double minus = SoftmaxCrossEntropy.Compute(z, labels, classes).Loss;
            z[i] = keep;
            AssertClose((plus - minus) / (2 * H), analytic[i], $"dz[{i}]");
        }
    }

    [Fact]
    public void WholeNetworkGradientMatchesFiniteDifferences()
    {
        // A smaller step here: a bias nudge moves a whole channel, and ±1e-2 can carry some pixel across a ReLU kink.
        const float h = 1e-3f;
        var net = TinyNetworks.Cnn(seed: 30);
        var x = Random(2 * net.Input.Volume, 31);
        byte[] labels = [1, 2];
        net.ComputeGradients(x, labels);
        foreach (var p in net.Parameters)
        {
            var analytic = (float[])p.Grad.Clone();
            foreach (var i in new[] { 0, p.Value.Length / 2, p.Value.Length - 1 })
            {
                float keep = p.Value[i];
                p.Value[i] = keep + h;
                double plus = SoftmaxCrossEntropy.Compute(net.Forward(x, 2), labels, net.Classes).Loss;
                p.Value[i] = keep - h;
                double minus = SoftmaxCrossEntropy.Compute(net.Forward(x, 2), labels, net.Classes).Loss;
                p.Value[i] = keep;
                AssertClose((plus - minus) / (2 * h), analytic[i], $"network d{p.Name}[{i}]");
            }
        }
    }
}
