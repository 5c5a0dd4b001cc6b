using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using ILGPUInt8.Tests.Ops;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The register-blocked strict FP32 convolution (<see cref="ConvFloatSimt"/>) against a scalar reference that sums in
/// its order (bias, then j = (r·S + s)·C + c ascending, one float multiply and one float add a term) and against the
/// 64×64 tiled kernel it replaces: bit for bit on the CPU accelerator, every tile, random odd shapes with fixed seeds and
/// edge values; on CUDA (where ptxas may contract the multiply-add into an FMA) within a float tolerance of the reference
/// and bit for bit with the tiled kernel (the same expression in the same order).
/// </summary>
public sealed class ConvFloatSimtTests
{
    // Odd shapes: batch 2 + stride 2 + padding; dilation 2 (C = 12); 1×1 with M past one tile and K past one column
    // tile; a 3×2 filter with unequal strides and padding, K = 5; C = 4 with a 5×5 filter (a chunk is one pixel's 4
    // channels); then C not a multiple of 4 (gathered words, padded weight rows): an RGB 7×7/2 stem, C = 5 with a 3×3.
    private static readonly ConvProblem[] Problems =
    [
        new(2, 8, 5, 5, 8, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 12, 6, 7, 12, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2),
        new(1, 16, 15, 11, 133, 1, 1),
        new(3, 8, 7, 6, 5, 3, 2, StrideH: 2, StrideW: 1, PadH: 2, PadW: 0),
        new(2, 4, 9, 9, 70, 5, 5, StrideH: 2, StrideW: 2, PadH: 2, PadW: 2),
        new(2, 3, 13, 11, 64, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3),
        new(1, 5, 6, 7, 9, 3, 3, PadH: 1, PadW: 1),
    ];

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (var p = 0; p < Problems.Length; p++)
        {
            for (var t = 0; t < ConvFloatSimt.Tiles.Count; t++)
            {
                data.Add(p, t);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_tile_equals_the_ordered_reference_and_the_tiled_kernel_bit_for_bit(int problem, int tile)
    {
        var p = Problems[problem];
        var (x, w, b) = Inputs(p, seed: (10 * problem) + tile, edges: false);
        Check(TestDevices.Cpu, p, x, w, b, relu: problem % 2 == 0, ConvFloatSimt.Tiles[tile], bitExact: true);
    }

    [Fact]
    public void Edge_values_bit_exact()
    {
        // ±0, ±max float, subnormals, ±∞ and values whose products overflow: NaN where ∞ − ∞ or 0·∞ arises, as in the reference.
        var p = new ConvProblem(1, 8, 6, 5, 20, 3, 3, PadH: 1, PadW: 1);
        var (x, w, b) = Inputs(p, seed: 77, edges: true);
        Check(TestDevices.Cpu, p, x, w, b, relu: false, tile: null, bitExact: true);
    }

    [Fact]
    public void Declines_what_it_cannot_run()
    {
        using var x = OpTestDevice.Zeros<float>(TestDevices.Cpu, 64);
        var rgb = new ConvProblem(1, 3, 4, 4, 2, 3, 3);
        Assert.Equal(28, ConvFloatSimt.WeightStride(rgb));
        Assert.Contains("multiple of 4", ConvFloatSimt.CanImplement(rgb, x.View, x.View, 27), StringComparison.Ordinal);
        Assert.Null(ConvFloatSimt.CanImplement(rgb, x.View.SubView(1, 48), x.View, 28));
        Assert.Contains("groups", ConvFloatSimt.CanImplement(new ConvProblem(1, 8, 4, 4, 8, 3, 3, Groups: 2), x.View, x.View, 36), StringComparison.Ordinal);
        Assert.Contains("16 bytes", ConvFloatSimt.CanImplement(new ConvProblem(1, 4, 2, 2, 4, 1, 1), x.View, x.View.SubView(1, 16), 4), StringComparison.Ordinal);
        Assert.Contains("K padded rows", ConvFloatSimt.CanImplement(new ConvProblem(1, 4, 2, 2, 40, 1, 1), x.View, x.View, 4), StringComparison.Ordinal);
    }

    [Fact]
    public void The_strict_fp32_engine_runs_an_rgb_stem_on_padded_weight_rows()
    {
        // A 7×7/2 convolution of 3 channels (R·S·C = 147): the engine keeps a copy of the weights in rows of 148 floats and
        // the step runs the register-blocked kernel's gathered-word path (CPU accelerator; on CUDA opt-in for now).
        var net = new NetworkDefinition("stem");
        var x = net.AddInput("data", new TensorDims(3, 17, 15));
        var c = net.AddConvolution(x, 8, 7, TestNetworks.Weights(8 * 3 * 49, 147, 5), TestData.Float(8, 6, 0.2f), stride: 2, padding: 3, name: "conv").Output;
        net.MarkOutput(c);
        var inputs = TestNetworks.Inputs(net, 2);
        using var engine = EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 2, Tf32 = false }, TestDevices.Cpu);
        Assert.StartsWith("conv_f32_simt_", engine.Layers.Single(l => l.Type == LayerType.Convolution).KernelName, StringComparison.Ordinal);
        var conv = (ConvolutionLayer)net.Layers.Single(l => l.Type == LayerType.Convolution);
        var p = new ConvProblem(2, 3, 17, 15, 8, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3);
        var expected = Kernels.Reference.ConvolutionFloatReference.Forward(inputs["data"], conv.Weights.ToArray(), conv.Bias.ToArray(), p, ActivationSpec.None);
        Close.Equal(expected, TestNetworks.Run(engine, inputs, 2)[c.Name], "strict fp32 stem engine vs reference");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Matches_the_reference_and_the_tiled_kernel_on_gpu()
    {
        // Random odd shapes on every tile, then ResNet-18 layers at batch 8 (56×56 64→64, the stride-2 64→128, 7×7 512, the RGB stem).
        var device = TestDevices.Cuda;
        for (var problem = 0; problem < Problems.Length; problem++)
        {
            for (var tile = 0; tile < ConvFloatSimt.Tiles.Count; tile++)
            {
                var (x, w, b) = Inputs(Problems[problem], seed: (10 * problem) + tile, edges: false);
                Check(device, Problems[problem], x, w, b, relu: problem % 2 == 0, ConvFloatSimt.Tiles[tile], bitExact: false);
            }
        }

        ConvProblem[] layers =
        [
            new(8, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1),
            new(8, 64, 56, 56, 128, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
            new(8, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1),
            new(8, 3, 224, 224, 64, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3),
        ];
        for (var i = 0; i < layers.Length; i++)
        {
            var (x, w, b) = Inputs(layers[i], seed: 100 + i, edges: false);
            Check(device, layers[i], x, w, b, relu: true, tile: null, bitExact: false);
        }
    }

    private static (float[] X, float[] W, float[] B) Inputs(ConvProblem p, int seed, bool edges)
    {
        var x = TestData.Float(p.N * p.H * p.W * p.C, seed);
        var w = TestData.Float(p.K * p.R * p.S * p.C, seed + 100);
        var b = TestData.Float(p.K, seed + 200);
        if (edges)
        {
            float[] special = [0f, -0f, float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon, 1e-40f, float.PositiveInfinity, float.NegativeInfinity, 3e38f];
            for (var i = 0; i < x.Length; i += 7)
            {
                x[i] = special[i / 7 % special.Length];
            }

            for (var i = 3; i < w.Length; i += 11)
            {
                w[i] = special[i / 11 % special.Length];
            }

            b[0] = -0f;
            b[1] = float.MaxValue;
        }

        return (x, w, b);
    }

    // y[m][k] = act(bias[k] + Σ_j x_j·w_j), j = (r·S + s)·C + c ascending, taps outside the image adding 0·w (as the
    // kernels do); each term one float multiply then one float add. Bound: (J + 2)·2^−23·(|bias| + Σ_j |x_j·w_j|), the
    // float error bound of that sum (J = R·S·C terms), which an FMA-contracted sum on the GPU also meets.
    private static (float[] Y, float[] Bound) OrderedReference(ConvProblem p, float[] x, float[] w, float[] b, bool relu)
    {
        var y = new float[(long)p.N * p.P * p.Q * p.K];
        var bound = new float[y.Length];
        for (var n = 0; n < p.N; n++)
        {
            for (var oh = 0; oh < p.P; oh++)
            {
                for (var ow = 0; ow < p.Q; ow++)
                {
                    var m = ((n * p.P) + oh) * p.Q + ow;
                    for (var k = 0; k < p.K; k++)
                    {
                        var acc = b[k];
                        double magnitude = Math.Abs(b[k]);
                        for (var r = 0; r < p.R; r++)
                        {
                            for (var s = 0; s < p.S; s++)
                            {
                                int h = (oh * p.StrideH) - p.PadH + (r * p.DilationH), ww = (ow * p.StrideW) - p.PadW + (s * p.DilationW);
                                var inside = h >= 0 && h < p.H && ww >= 0 && ww < p.W;
                                for (var c = 0; c < p.C; c++)
                                {
                                    var xv = inside ? x[(((n * p.H) + h) * p.W + ww) * p.C + c] : 0f;
                                    var product = xv * w[(((k * p.R) + r) * p.S + s) * p.C + c];
                                    acc += product;
                                    magnitude += Math.Abs((double)product);
                                }
                            }
                        }

                        y[((long)m * p.K) + k] = relu ? new ReluActivation().Apply(acc) : acc;
                        bound[((long)m * p.K) + k] = (float)((p.R * p.S * p.C + 2) * Math.Pow(2, -23) * magnitude);
                    }
                }
            }
        }

        return (y, bound);
    }

    private static void Check(Int8Device device, ConvProblem p, float[] x, float[] w, float[] b, bool relu, Dp4aTile? tile, bool bitExact)
    {
        using var dx = OpTestDevice.Upload(device, x);
        // The weights in 16-byte rows (zeros after each row of R·S·C) for the register-blocked kernel, dense for the tiled one.
        int stride = ConvFloatSimt.WeightStride(p);
        var padded = WeightLayout.PadRows<float>(w, p.K, p.R * p.S * p.C, stride);

        using var dw = OpTestDevice.Upload(device, w);
        using var dp = OpTestDevice.Upload(device, padded);
        using var db = OpTestDevice.Upload(device, b);
        using var simt = OpTestDevice.Zeros<float>(device, (long)p.N * p.P * p.Q * p.K);
        using var tiled = OpTestDevice.Zeros<float>(device, (long)p.N * p.P * p.Q * p.K);
        Assert.Null(ConvFloatSimt.CanImplement(p, dx.View, dp.View, stride));
        if (relu)
        {
            ConvFloatSimt.Run(device, dx.View, dp.View, stride, db.View, simt.View, p, default(ReluActivation), tile);
        }
        else
        {
            ConvFloatSimt.Run(device, dx.View, dp.View, stride, db.View, simt.View, p, default(IdentityActivation), tile);
        }

        ConvolutionFloat.Launch(device, dx.View, dw.View, db.View, tiled.View, p, relu ? ActivationSpec.Relu : ActivationSpec.None, simtWeights: default);
        var actual = OpTestDevice.Read(device, simt);
        var before = OpTestDevice.Read(device, tiled);
        var (expected, bound) = OrderedReference(p, x, w, b, relu);
        var what = $"conv f32 simt {tile?.Name ?? "auto"} {p} on {device.Kind}";
        Assert.Contains(expected, v => v != 0f);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Same(before[i], actual[i]), $"{what} [{i}]: simt {actual[i]:R} vs tiled {before[i]:R}");
            if (bitExact)
            {
                Assert.True(Same(expected[i], actual[i]), $"{what} [{i}]: simt {actual[i]:R} vs reference {expected[i]:R}");
            }
            else
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= bound[i], $"{what} [{i}]: simt {actual[i]:R} vs reference {expected[i]:R}, bound {bound[i]:R}");
            }
        }
    }

    // Equal bits, or both NaN (the payload of a NaN is not specified).
    private static bool Same(float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));
}
