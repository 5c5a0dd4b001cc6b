using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;
using ConvertOp = ILGPUInt8.Kernels.Ops.Convert;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// The tensor conversions of the engine's edges, bit-exact with the references: same-layout quantize / dequantize / copy
/// (vector kernels with scalar tails), and NCHW → NHWC of 3-channel images (the 4-pixel kernel when H·W is a multiple of
/// 4, else the general one), with rounding ties, saturation, NaN and infinities in the data.
/// </summary>
public sealed class ConvertKernelTests
{
    private const float Scale = 0.5f; // 1/s = 2 exactly: x = k/2 + 1/4 lands on ties k + 0.5

    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        { 2, 3, 4, 4 }, // H·W = 16: 4-pixel RGB kernel
        { 1, 3, 3, 5 }, // H·W = 15: general kernel
        { 3, 3, 2, 6 },
        { 2, 1, 5, 7 }, // C = 1: same layout, 70 elements (vector + tail)
        { 1, 5, 1, 1 }, // H = W = 1
        { 2, 31, 1, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Quantize_nchw_to_nhwc_is_bit_exact(int n, int c, int h, int w) =>
        CheckQuantize(TestDevices.Cpu, new TensorShape(n, c, h, w), TensorFormat.NCHW, 0);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Quantize_same_layout_is_bit_exact(int n, int c, int h, int w) =>
        CheckQuantize(TestDevices.Cpu, new TensorShape(n, c, h, w), TensorFormat.NHWC, 0);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Quantize_from_unaligned_views_is_bit_exact(int offset)
    {
        CheckQuantize(TestDevices.Cpu, new TensorShape(2, 3, 4, 4), TensorFormat.NCHW, offset);
        CheckQuantize(TestDevices.Cpu, new TensorShape(2, 3, 4, 4), TensorFormat.NHWC, offset);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_and_dequantize_layouts_are_bit_exact(int n, int c, int h, int w) =>
        CheckFloat(TestDevices.Cpu, new TensorShape(n, c, h, w));

    [Fact]
    [Trait("Category", "Gpu")]
    public void Conversions_on_gpu_are_bit_exact()
    {
        var device = TestDevices.Cuda;
        foreach (var s in new[] { new TensorShape(2, 3, 4, 4), new TensorShape(1, 3, 3, 5), new TensorShape(2, 1, 5, 7), new TensorShape(8, 3, 224, 224), new TensorShape(4, 64, 7, 9) })
        {
            CheckQuantize(device, s, TensorFormat.NCHW, 0);
            CheckQuantize(device, s, TensorFormat.NHWC, 0);
            CheckQuantize(device, s, TensorFormat.NCHW, 4);
            CheckFloat(device, s);
        }
    }

    /// <summary>Random values in ±80 (past ±127/2 saturates), with ties, ±127.5, ±128.5, NaN, ±∞ and 1e30 at the start.</summary>
    private static float[] Inputs(int length, int seed)
    {
        var x = TestData.Float(length, seed, 80f);
        float[] edges = [0.25f, 0.75f, 1.25f, -0.25f, -1.25f, 63.25f, 63.75f, -63.75f, -64.25f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, -0f];
        for (var i = 0; i < edges.Length && i < length; i++)
        {
            x[i * 5 % length] = edges[i];
        }

        return x;
    }

    private static void CheckQuantize(Int8Device device, TensorShape s, TensorFormat from, int offset)
    {
        int count = (int)s.Elements;
        var x = Inputs(count, 90 + count);
        var source = from == TensorFormat.NCHW ? x : LayoutReference.NchwToNhwc<float>(x, s);
        var expected = LayoutReference.NchwToNhwc<sbyte>(QuantizationReference.Quantize(x, [Scale], count), s);
        using var dx = OpTestDevice.Upload(device, new float[offset].Concat(source).ToArray());
        using var dq = OpTestDevice.Upload(device, Enumerable.Repeat((sbyte)55, count + offset + 4).ToArray());
        ConvertOp.Quantize(device, dx.View.SubView(offset, count), from, dq.View.SubView(offset, count), TensorFormat.NHWC, s, Scale);
        var all = OpTestDevice.Read(device, dq);
        Exact.Equal<sbyte>(expected, all.AsSpan(offset, count), $"quantize {from}→NHWC {s} offset {offset} on {device.Kind}");
        Assert.All(all.AsSpan(offset + count).ToArray(), v => Assert.Equal(55, v));
    }

    private static void CheckFloat(Int8Device device, TensorShape s)
    {
        int count = (int)s.Elements;
        var x = Inputs(count, 120 + count);
        using var dx = OpTestDevice.Upload(device, x);
        using var dy = OpTestDevice.Zeros<float>(device, count);
        ConvertOp.Float(device, dx.View, TensorFormat.NCHW, dy.View, TensorFormat.NHWC, s);
        Exact.EqualBits(LayoutReference.NchwToNhwc<float>(x, s), OpTestDevice.Read(device, dy), $"float NCHW→NHWC {s} on {device.Kind}");

        var q = TestData.Int8(count, 130 + count);
        using var dq = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<sbyte>(q, s));
        ConvertOp.Dequantize(device, dq.View, TensorFormat.NHWC, dy.View, TensorFormat.NHWC, s, 0.37f);
        var expected = LayoutReference.NchwToNhwc<float>(QuantizationReference.Dequantize(q, [0.37f], count), s);
        Exact.EqualBits(expected, OpTestDevice.Read(device, dy), $"dequantize NHWC→NHWC {s} on {device.Kind}");
        ConvertOp.Float(device, dx.View, TensorFormat.NHWC, dy.View, TensorFormat.NHWC, s);
        Exact.EqualBits(x, OpTestDevice.Read(device, dy), $"float copy {s} on {device.Kind}");
    }
}
