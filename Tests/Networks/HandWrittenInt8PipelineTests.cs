using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// The INT8 numbers of architecture.md written out by hand for conv → ReLU → max pool → fully connected, independent of
/// the builder's and the reference pipeline's code: the engine must give exactly these bits.
/// </summary>
public sealed class HandWrittenInt8PipelineTests
{
    [Fact]
    public void Engine_equals_the_formulas_of_architecture_md()
    {
        const int C = 2, H = 4, K = 3, F = 4;
        var w1 = TestNetworks.Weights(K * C * 9, C * 9, 1);
        var b1 = TestData.Float(K, 2, 0.2f);
        var w2 = TestNetworks.Weights(F * K * 4, K * 4, 3);
        var x = TestData.Float(C * H * H, 4);
        float tx = 1.1f, tRelu = 1.7f, tFc = 2.3f;

        var net = new NetworkDefinition();
        var input = net.AddInput("x", new TensorDims(C, H, H));
        input.SetDynamicRange(-tx, tx);
        var conv = net.AddConvolution(input, K, 3, w1, b1, padding: 1, name: "conv");
        conv.Output.SetDynamicRange(-9f, 9f); // ignored: the fused ReLU's range is used for the convolution's int8 output
        var relu = net.AddActivation(conv.Output, Kernels.Ops.ActivationKind.Relu, name: "relu");
        relu.Output.SetDynamicRange(0f, tRelu);
        var pool = net.AddPooling(relu.Output, PoolingType.Max, 2, name: "pool");
        var fc = net.AddFullyConnected(pool.Output, F, w2, name: "fc");
        fc.Output.SetDynamicRange(-tFc, tFc);
        net.MarkOutput(fc.Output);
        using var engine = TestNetworks.Build(net, 1, int8: true);
        Assert.All(engine.Layers, l => Assert.True(l.Int8));

        float sx = tx / 127f, sr = tRelu / 127f, sf = tFc / 127f;
        var xq = x.Select(v => QuantMath.Quantize(v, sx)).ToArray();

        // Convolution: per output channel s_w = max|W[k]|/127, bias_q = round(b / (s_x·s_w)), requantize to the ReLU's scale, lo = 0.
        var r = new int[K * H * H];
        for (var k = 0; k < K; k++)
        {
            var sw = w1.Skip(k * C * 9).Take(C * 9).Max(Math.Abs) / 127f;
            var bq = (int)Math.Round(b1[k] / ((double)sx * sw), MidpointRounding.ToEven);
            var m = (float)((double)sx * sw / sr);
            for (var p = 0; p < H; p++)
            {
                for (var q = 0; q < H; q++)
                {
                    var acc = 0;
                    for (var c = 0; c < C; c++)
                    {
                        for (var i = 0; i < 3; i++)
                        {
                            for (var j = 0; j < 3; j++)
                            {
                                int h = p + i - 1, ww = q + j - 1;
                                if (h >= 0 && h < H && ww >= 0 && ww < H)
                                {
                                    acc += xq[(((c * H) + h) * H) + ww] * QuantMath.Quantize(w1[(((k * C) + c) * 3 + i) * 3 + j], sw);
                                }
                            }
                        }
                    }

                    r[(((k * H) + p) * H) + q] = Math.Max(0, Math.Clamp((int)MathF.Round((acc + bq) * m, MidpointRounding.ToEven), -127, 127));
                }
            }
        }

        // Max pool 2×2: the int8 maximum, same scale.
        var pooled = new int[K * 4];
        for (var k = 0; k < K; k++)
        {
            for (var p = 0; p < 2; p++)
            {
                for (var q = 0; q < 2; q++)
                {
                    pooled[(k * 4) + (p * 2) + q] = new[] { r[(((k * H) + (2 * p)) * H) + (2 * q)], r[(((k * H) + (2 * p)) * H) + (2 * q) + 1], r[(((k * H) + (2 * p) + 1) * H) + (2 * q)], r[(((k * H) + (2 * p) + 1) * H) + (2 * q) + 1] }.Max();
                }
            }
        }

        // Fully connected over the NCHW flatten order, requantized to the output scale, then dequantized (q · s).
        var expected = new float[F];
        for (var f = 0; f < F; f++)
        {
            var sw = w2.Skip(f * 12).Take(12).Max(Math.Abs) / 127f;
            var acc = 0;
            for (var i = 0; i < 12; i++)
            {
                acc += pooled[i] * QuantMath.Quantize(w2[(f * 12) + i], sw);
            }

            var y = Math.Clamp((int)MathF.Round(acc * (float)((double)sr * sw / sf), MidpointRounding.ToEven), -127, 127);
            expected[f] = y * sf;
        }

        using var context = engine.CreateExecutionContext();
        Exact.EqualBits(expected, context.Execute(x, 1), "hand-written int8 pipeline");
    }
}
