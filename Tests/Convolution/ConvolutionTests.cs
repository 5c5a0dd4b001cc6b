using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

public sealed class ConvolutionTests
{
    private static readonly ConvProblem[] CpuProblems =
    [
        new(1, 4, 5, 5, 3, 1, 1),                                          // 1×1
        new(2, 8, 7, 7, 5, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), // 3×3 stride 2, padding, batch 2
        new(1, 16, 6, 6, 20, 3, 3, PadH: 1, PadW: 1),                      // 16-channel chunks
        new(1, 8, 9, 9, 4, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2), // dilation
        new(1, 16, 5, 5, 8, 3, 3, PadH: 1, PadW: 1, Groups: 2),            // groups
        new(1, 8, 6, 6, 8, 3, 3, PadH: 1, PadW: 1, Groups: 8),             // depthwise
        new(1, 3, 6, 6, 5, 3, 3, PadH: 1, PadW: 1),                        // C = 3 (direct only)
        new(3, 12, 4, 5, 7, 2, 3, StrideH: 1, StrideW: 2, PadH: 0, PadW: 1), // odd everything
    ];

    public static TheoryData<string, int, TensorFormat> CpuCases()
    {
        var data = new TheoryData<string, int, TensorFormat>();
        foreach (var v in ConvVariants.All)
        {
            // The default dp4a variant and the direct one on every problem and format; each fixed tile and forced split-K on a few.
            bool all = v.Name == new ConvDp4aImplicitGemm().Name || v is ConvDirect;
            for (var i = 0; i < CpuProblems.Length; i++)
            {
                foreach (var f in new[] { TensorFormat.NHWC, TensorFormat.NCHW_VECT_C })
                {
                    if ((all || (i is 1 or 2 or 4 && f == TensorFormat.NHWC) || (i == 7 && f == TensorFormat.NCHW_VECT_C)) && v.CanImplement(TestDevices.Cpu, CpuProblems[i], f) is null)
                    {
                        data.Add(v.Name, i, f);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CpuCases))]
    public void Variant_matches_reference_on_cpu(string variant, int problem, TensorFormat format) =>
        Check(TestDevices.Cpu, variant, CpuProblems[problem], format, seed: problem);

    [Fact]
    public void Requantize_epilogue_fused_matches_reference()
    {
        var device = TestDevices.Cpu;
        var p = new ConvProblem(1, 8, 6, 6, 12, 3, 3, PadH: 1, PadW: 1);
        var x = TestData.Int8(p.N * p.H * p.W * p.C, 1);
        var w = TestData.Int8(p.K * p.R * p.S * p.CPerGroup, 2);
        var acc = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        var bias = TestData.Int32(p.K, 3, -500, 500);
        var multiplier = Enumerable.Range(0, p.K).Select(k => 0.002f + (0.0005f * k)).ToArray();
        var expected = QuantizationReference.RequantizeFloat(acc, bias, multiplier, 1, relu: true);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<sbyte>(expected.Length);
        using var dm = device.Accelerator.Allocate1D(multiplier);
        using var db = device.Accelerator.Allocate1D(bias);
        foreach (var v in ConvVariants.All.Where(v => v.CanImplement(device, p, TensorFormat.NHWC) is null))
        {
            ConvS8.Requantize(device, dx.View, TensorFormat.NHWC, weights, p, dy.View, dm.View, db.View, relu: true, v.Name);
            device.Synchronize();
            Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"{v.Name} requantize {p}");
        }
    }

    [Theory]
    [InlineData(1, 4, 3, 3, 5, 3, 3, 2, 1, 1, 1, 0)]
    [InlineData(2, 6, 4, 5, 4, 2, 2, 2, 0, 1, 2, 1)]
    [InlineData(1, 8, 3, 3, 8, 3, 3, 1, 1, 2, 8, 0)]
    public void Deconvolution_matches_reference(int n, int c, int h, int w, int k, int r, int s, int stride, int pad, int dilation, int groups, int outPad)
    {
        var device = TestDevices.Cpu;
        var p = new DeconvProblem(n, c, h, w, k, r, s, stride, stride, pad, pad, dilation, dilation, groups, outPad, outPad);
        var x = TestData.Int8(n * h * w * c, 11);
        var weights = TestData.Int8(k * r * s * p.CPerGroup, 12);
        var expected = ConvolutionReference.Transposed(x, weights, p);
        using var deconv = new DeconvolutionS8(device, weights, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<int>(expected.Length);
        deconv.RunInt32(dx.View, dy.View);
        device.Synchronize();
        Exact.Equal<int>(expected, dy.GetAsArray1D(), $"deconvolution {p}");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Variants_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        var random = new Random(77);
        for (var t = 0; t < 200; t++)
        {
            var groups = random.Next(4) == 0 ? 2 : 1;
            var c = 4 * groups * random.Next(1, 17);
            var k = groups * random.Next(1, 80);
            var r = random.Next(1, 4);
            var p = new ConvProblem(random.Next(1, 3), c, random.Next(r, 12), random.Next(r, 12), k, r, r,
                StrideH: random.Next(1, 3), StrideW: random.Next(1, 3), PadH: random.Next(0, 2), PadW: random.Next(0, 2), Groups: groups);
            // The default variant on NHWC, and one other variant (round robin) on a random format.
            var variants = ConvVariants.All;
            var other = variants[1 + (t % (variants.Count - 1))];
            var format = random.Next(2) == 0 ? TensorFormat.NHWC : TensorFormat.NCHW_VECT_C;
            if (variants[0].CanImplement(device, p, TensorFormat.NHWC) is null)
            {
                Check(device, variants[0].Name, p, TensorFormat.NHWC, seed: t);
            }

            if (other.CanImplement(device, p, format) is null)
            {
                Check(device, other.Name, p, format, seed: t + 1000);
            }
        }

        // Depthwise and grouped through the tiles, and ResNet-like shapes through each variant.
        // (The tensor-core variants, fixed split-K included, run groups = 1 NHWC only, the depthwise one groups = C = K only: they are skipped where
        // they decline.)
        foreach (var v in ConvVariants.All)
        {
            foreach (var (problem, format, seed) in new[]
            {
                (new ConvProblem(2, 64, 20, 20, 64, 3, 3, PadH: 1, PadW: 1), TensorFormat.NHWC, 11),
                (new ConvProblem(3, 32, 9, 9, 48, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 2), TensorFormat.NCHW_VECT_C, 12),
                (new ConvProblem(2, 32, 12, 12, 32, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2, Groups: 8), TensorFormat.NHWC, 13),
            })
            {
                if (v is not (ConvMma or ConvMmaAuto or ConvMmaSplitK or ConvWgmma or ConvDepthwise) || v.CanImplement(device, problem, format) is null)
                {
                    Check(device, v.Name, problem, format, seed);
                }
            }
        }

        Check(device, ConvVariants.All[0].Name, new ConvProblem(4, 64, 28, 28, 64, 3, 3, PadH: 1, PadW: 1), TensorFormat.NHWC, seed: 1);
        Check(device, ConvVariants.All[0].Name, new ConvProblem(2, 128, 14, 14, 256, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), TensorFormat.NHWC, seed: 2);
        Check(device, "conv_s8_direct", new ConvProblem(2, 32, 14, 14, 32, 3, 3, PadH: 1, PadW: 1, Groups: 32), TensorFormat.NHWC, seed: 3);
    }

    [Fact]
    public void Bad_arguments_are_rejected_before_launch()
    {
        var device = TestDevices.Cpu;
        var p = new ConvProblem(1, 4, 4, 4, 4, 3, 3);
        Assert.Throws<ArgumentException>(() => new ConvProblem(1, 4, 2, 2, 4, 5, 5).Validate());
        Assert.Throws<ArgumentException>(() => new ConvProblem(1, 6, 4, 4, 4, 1, 1, Groups: 4).Validate());
        Assert.Throws<ArgumentException>(() => new PackedConvWeights(device, new sbyte[10], p));
        using var weights = new PackedConvWeights(device, new sbyte[4 * 9 * 4], p);
        using var x = device.Accelerator.Allocate1D<sbyte>(10);
        using var y = device.Accelerator.Allocate1D<int>(16);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => ConvS8.Int32(device, x.View, TensorFormat.NHWC, weights, p, y.View)).ParamName);
        var reason = ConvVariants.Get("conv_s8_nhwc_dp4a_implicit_gemm_128x128x32").CanImplement(device, new ConvProblem(1, 3, 4, 4, 4, 3, 3), TensorFormat.NHWC);
        Assert.Contains("multiples of 4", reason, StringComparison.Ordinal);
    }

    private static void Check(Int8Device device, string variant, ConvProblem p, TensorFormat format, int seed)
    {
        var shape = new TensorShape(p.N, p.C, p.H, p.W);
        var x = TestData.Int8((int)shape.StoredElements(format), seed);
        if (format == TensorFormat.NCHW_VECT_C && p.C % 4 != 0)
        {
            ZeroPadding(x, shape);
        }

        var w = TestData.Int8(p.K * p.R * p.S * p.CPerGroup, seed + 100);
        var expected = ConvolutionReference.Forward(x, format, w, p);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<int>(expected.Length);
        ConvS8.Int32(device, dx.View, format, weights, p, dy.View, variant);
        device.Synchronize();
        Exact.Equal<int>(expected, dy.GetAsArray1D(), $"{variant} {format} {p}");
    }

    private static void ZeroPadding(sbyte[] x, TensorShape shape)
    {
        for (var n = 0; n < shape.N; n++)
        {
            for (var c = shape.C; c < shape.PaddedC4; c++)
            {
                for (var h = 0; h < shape.H; h++)
                {
                    for (var w = 0; w < shape.W; w++)
                    {
                        x[(int)default(NchwVectCLayout).Offset(n, c, h, w, shape.C, shape.H, shape.W)] = 0;
                    }
                }
            }
        }
    }
}
