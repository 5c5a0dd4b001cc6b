using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

public sealed class ConvolutionOpTests
{
    private static readonly ConvProblem[] Problems =
    [
        new(1, 3, 5, 5, 4, 3, 3, PadH: 1, PadW: 1),
        new(2, 4, 7, 6, 6, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 6, 6, 6, 4, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2, Groups: 2),
        new(1, 4, 5, 5, 4, 3, 3, PadH: 1, PadW: 1, Groups: 4),
        new(3, 10, 1, 1, 5, 1, 1),
        // Tile edges of the tiled FP32 kernel: M = 162 and K = 70 past whole 64-tiles, R·S·C = 180 not a multiple of 16.
        new(2, 20, 9, 9, 70, 3, 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 1, DilationH: 2, DilationW: 1),
    ];

    private static readonly DeconvProblem[] DeconvProblems =
    [
        new(1, 4, 3, 3, 3, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, OutputPaddingH: 1, OutputPaddingW: 1),
        new(2, 4, 4, 3, 6, 2, 2, StrideH: 2, StrideW: 2, Groups: 2),
        new(1, 3, 4, 4, 2, 3, 3, PadH: 1, PadW: 1),
        new(1, 2, 3, 3, 2, 3, 3, StrideH: 2, StrideW: 2, OutputPaddingH: -1, OutputPaddingW: -1), // ONNX SAME_UPPER: the end crops one more
        new(2, 4, 3, 4, 3, 3, 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, OutputPaddingH: -1, OutputPaddingW: -2),
    ];

    public static TheoryData<int> ProblemIndices() => [.. Enumerable.Range(0, Problems.Length)];

    public static TheoryData<int> DeconvIndices() => [.. Enumerable.Range(0, DeconvProblems.Length)];

    [Theory]
    [MemberData(nameof(ProblemIndices))]
    public void Float_convolution_matches_reference(int index) =>
        CheckFloat(TestDevices.Cpu, Problems[index], new ActivationSpec(ActivationKind.LeakyRelu, 0.1f), index);

    [Theory]
    [MemberData(nameof(DeconvIndices))]
    public void Float_deconvolution_matches_reference(int index) =>
        CheckDeconv(TestDevices.Cpu, DeconvProblems[index], ActivationSpec.Relu, index);

    [Theory]
    [InlineData(ActivationKind.None)]
    [InlineData(ActivationKind.Tanh)]
    [InlineData(ActivationKind.Clip)]
    public void Int8_convolution_with_lut_epilogue_matches_reference(ActivationKind kind) =>
        CheckInt8Lut(TestDevices.Cpu, new ConvProblem(1, 8, 5, 5, 8, 3, 3, PadH: 1, PadW: 1), new ActivationSpec(kind, 0f, 3f));

    [Fact]
    [Trait("Category", "Gpu")]
    public void Convolutions_on_gpu_match_reference()
    {
        var device = TestDevices.Cuda;
        for (var i = 0; i < Problems.Length; i++)
        {
            CheckFloat(device, Problems[i], ActivationSpec.Relu, i);
        }

        for (var i = 0; i < DeconvProblems.Length; i++)
        {
            CheckDeconv(device, DeconvProblems[i], ActivationSpec.None, i);
        }

        CheckFloat(device, new ConvProblem(4, 64, 14, 14, 64, 3, 3, PadH: 1, PadW: 1), ActivationSpec.Relu, 99);
        // 2·200·200 = 80000 output pixels: more than a grid's 65535 in y (ResNet-18's first layer at batch 256 has 3.2 M).
        CheckFloat(device, new ConvProblem(2, 4, 200, 200, 4, 3, 3, PadH: 1, PadW: 1), ActivationSpec.Relu, 98);
        CheckDeconv(device, new DeconvProblem(2, 4, 100, 100, 4, 2, 2, StrideH: 2, StrideW: 2), ActivationSpec.None, 97);
        CheckInt8Lut(device, new ConvProblem(2, 64, 14, 14, 32, 3, 3, PadH: 1, PadW: 1), new ActivationSpec(ActivationKind.Sigmoid));
    }

    private static void CheckFloat(Int8Device device, ConvProblem p, ActivationSpec act, int seed)
    {
        var x = TestData.Float(p.N * p.C * p.H * p.W, seed);
        var w = TestData.Float(p.K * p.CPerGroup * p.R * p.S, seed + 100);
        var b = TestData.Float(p.K, seed + 200);
        var expected = ConvolutionFloatReference.Forward(x, w, b, p, act);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<float>(x, new TensorShape(p.N, p.C, p.H, p.W)));
        using var dw = OpTestDevice.Upload(device, WeightLayout.KcrsToKrsc<float>(w, p.K, p.CPerGroup, p.R, p.S));
        using var db = OpTestDevice.Upload(device, b);
        using var dy = OpTestDevice.Zeros<float>(device, (long)p.N * p.P * p.Q * p.K);
        ConvolutionFloat.Run(device, dx.View, dw.View, db.View, dy.View, p, act);
        var actual = LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), new TensorShape(p.N, p.K, p.P, p.Q));
        Close.Equal(expected, actual, $"conv f32 {p} {act} on {device.Kind}");
    }

    private static void CheckDeconv(Int8Device device, DeconvProblem p, ActivationSpec act, int seed)
    {
        var x = TestData.Float(p.N * p.C * p.H * p.W, seed);
        var w = TestData.Float(p.C * p.KPerGroup * p.R * p.S, seed + 100);
        var b = TestData.Float(p.K, seed + 200);
        var expected = ConvolutionFloatReference.Transposed(x, w, b, p, act);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<float>(x, new TensorShape(p.N, p.C, p.H, p.W)));
        using var dw = OpTestDevice.Upload(device, WeightLayout.DeconvCkrsToKrsc<float>(w, p.C, p.K, p.Groups, p.R, p.S));
        using var db = OpTestDevice.Upload(device, b);
        using var dy = OpTestDevice.Zeros<float>(device, (long)p.N * p.OutH * p.OutW * p.K);
        DeconvolutionFloat.Run(device, dx.View, dw.View, db.View, dy.View, p, act);
        var actual = LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), new TensorShape(p.N, p.K, p.OutH, p.OutW));
        Close.Equal(expected, actual, $"deconv f32 {p} on {device.Kind}");
    }

    private static void CheckInt8Lut(Int8Device device, ConvProblem p, ActivationSpec act)
    {
        var x = TestData.Int8(p.N * p.H * p.W * p.C, 1, -127);
        var w = TestData.Int8(p.K * p.R * p.S * p.CPerGroup, 2, -127);
        var bias = TestData.Int32(p.K, 3, -2000, 2000);
        var multiplier = Enumerable.Range(0, p.K).Select(k => 0.0004f + (0.0001f * k)).ToArray();
        var lut = Int8LookupTable.ForActivation(act, 0.05f, 0.03f);
        var requantized = QuantizationReference.RequantizeFloat(ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p), bias, multiplier, 1, relu: false);
        var expected = ElementWiseReference.Lookup(requantized, lut);
        using var packed = new PackedConvWeights(device, w, p);
        using var dx = OpTestDevice.Upload(device, x);
        using var dm = OpTestDevice.Upload(device, multiplier);
        using var db = OpTestDevice.Upload(device, bias);
        using var dl = OpTestDevice.Upload(device, lut);
        using var dy = OpTestDevice.Zeros<sbyte>(device, (long)p.N * p.P * p.Q * p.K);
        ConvS8.Forward(device, dx.View, TensorFormat.NHWC, packed, p, new RequantizeLutEpilogue(dy.View, p.K, dm.View, db.View, dl.View));
        Exact.Equal<sbyte>(expected, OpTestDevice.Read(device, dy), $"conv s8 + {act} table {p} on {device.Kind}");
    }
}
