using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

public sealed class ShapeOpTests
{
    [Fact]
    public void Softmax_float_and_int8_match_reference() => CheckSoftMax(TestDevices.Cpu, 2, 5, 3);

    [Fact]
    public void Lrn_matches_reference() => CheckLrn(TestDevices.Cpu, 2, 7, 6);

    [Fact]
    public void Concat_float_and_int8_match_reference() => CheckConcat(TestDevices.Cpu, 2, 6);

    [Fact]
    public void Concat_along_a_middle_axis_is_a_block_copy() => CheckConcatBlocks(TestDevices.Cpu, 6, 4);

    [Fact]
    public void Reshape_keeps_nchw_order() => CheckReshape(TestDevices.Cpu, new TensorShape(2, 3, 2, 4), new TensorShape(2, 4, 3, 2));

    [Fact]
    public void Padding_matches_reference() => CheckPad(TestDevices.Cpu, new TensorShape(2, 3, 3, 4));

    [Fact]
    public void Convert_round_trip_matches_reference() => CheckConvert(TestDevices.Cpu, new TensorShape(2, 3, 4, 5));

    [Fact]
    public void Channel_pad_adds_zero_channels()
    {
        var device = TestDevices.Cpu;
        var x = TestData.Int8(2 * 5 * 3, 1);
        using var dx = OpTestDevice.Upload(device, x);
        using var dy = OpTestDevice.Upload(device, Enumerable.Repeat((sbyte)9, 2 * 5 * 4).ToArray());
        ChannelPad.Run<sbyte>(device, dx.View, dy.View, 10, 3, 4);
        var y = OpTestDevice.Read(device, dy);
        Exact.Equal<sbyte>(x, y.Where((v, i) => i % 4 != 3).ToArray(), "channel pad values");
        Assert.All(y.Where((v, i) => i % 4 == 3), v => Assert.Equal(0, v));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Shape_ops_on_gpu_match_reference()
    {
        var device = TestDevices.Cuda;
        CheckSoftMax(device, 64, 1000, 1);
        CheckSoftMax(device, 4, 21, 49);
        CheckLrn(device, 8, 96, 27 * 27);
        CheckConcat(device, 16, 28 * 28);
        CheckConcat(device, 2, 200 * 200); // 80000 pixels: more than a grid's 65535 in y
        CheckConcatBlocks(device, 16 * 28, 28 * 16); // along W of [16, 16, 28, w_i]
        CheckReshape(device, new TensorShape(8, 64, 7, 7), new TensorShape(8, 3136, 1, 1));
        CheckPad(device, new TensorShape(8, 16, 30, 30));
        CheckConvert(device, new TensorShape(16, 3, 224, 224));
    }

    private static void CheckSoftMax(Int8Device device, int n, int c, int hw)
    {
        var shape = new TensorShape(n, c, hw, 1);
        var x = TestData.Float(n * c * hw, 11, 5f);
        var expected = NormalizationReference.SoftMax(x, n, c, hw);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<float>(x, shape));
        using var dy = OpTestDevice.Zeros<float>(device, x.Length);
        SoftMax.Float(device, dx.View, dy.View, n * hw, c);
        Close.Equal(expected, LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), shape), $"softmax f32 on {device.Kind}", device.IsCuda ? 1e-4f : 1e-5f, 1e-7f);

        var q = TestData.Int8(n * c * hw, 12, -127);
        var table = Int8LookupTable.SoftMaxExp(0.05f);
        var expectedQ = NormalizationReference.SoftMaxInt8(q, table, n, c, hw);
        using var dq = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<sbyte>(q, shape));
        using var dt = OpTestDevice.Upload(device, table);
        SoftMax.Int8(device, dq.View, dy.View, dt.View, n * hw, c);
        Exact.EqualBits(expectedQ, LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), shape), $"softmax s8 on {device.Kind}");
    }

    private static void CheckLrn(Int8Device device, int n, int c, int hw)
    {
        var shape = new TensorShape(n, c, hw, 1);
        var x = TestData.Float(n * c * hw, 13, 3f);
        var expected = NormalizationReference.Lrn(x, n, c, hw, 5, 1e-2f, 0.75f, 2f);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<float>(x, shape));
        using var dy = OpTestDevice.Zeros<float>(device, x.Length);
        Lrn.Float(device, dx.View, dy.View, n * hw, c, 5, 1e-2f, 0.75f, 2f);
        Close.Equal(expected, LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), shape), $"lrn on {device.Kind}", device.IsCuda ? 1e-4f : 1e-5f, 1e-6f);
    }

    private static void CheckConcat(Int8Device device, int n, int hw)
    {
        int[] channels = [3, 1, 4];
        var parts = channels.Select((c, i) => TestData.Float(n * c * hw, 20 + i)).ToArray();
        var partsQ = channels.Select((c, i) => TestData.Int8(n * c * hw, 30 + i, -127)).ToArray();
        float[] multipliers = [1f, 0.5f, 1.7f];
        var expected = ShapeReference.Concat(parts, channels, n, hw);
        var expectedQ = ShapeReference.Concat(partsQ, channels, n, hw, (part, q) => ShapeReference.RequantizeCopy(q, multipliers[part]));
        var total = channels.Sum();
        using var dy = OpTestDevice.Zeros<float>(device, (long)n * total * hw);
        using var dyq = OpTestDevice.Zeros<sbyte>(device, (long)n * total * hw);
        var offset = 0;
        for (var i = 0; i < channels.Length; i++)
        {
            var shape = new TensorShape(n, channels[i], hw, 1);
            using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<float>(parts[i], shape));
            using var dq = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<sbyte>(partsQ[i], shape));
            Concat.Float(device, dx.View, dy.View, n * hw, channels[i], total, offset);
            Concat.Int8(device, dq.View, dyq.View, n * hw, channels[i], total, offset, multipliers[i]);
            device.Synchronize();
            offset += channels[i];
        }

        var outShape = new TensorShape(n, total, hw, 1);
        Exact.EqualBits(expected, LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), outShape), $"concat f32 on {device.Kind}");
        Exact.Equal<sbyte>(expectedQ, LayoutReference.NhwcToNchw<sbyte>(OpTestDevice.Read(device, dyq), outShape), $"concat s8 on {device.Kind}");
    }

    // Parts [outer, length_i, inner] (C order; NHWC along W is outer = N·H, inner = C): the channel kernel with
    // pixels = outer, channels = length_i·inner, total = Σ length·inner; the reference is the NCHW one with n = outer, hw = inner.
    private static void CheckConcatBlocks(Int8Device device, int outer, int inner)
    {
        int[] lengths = [2, 3, 1];
        var parts = lengths.Select((l, i) => TestData.Float(outer * l * inner, 40 + i)).ToArray();
        var partsQ = lengths.Select((l, i) => TestData.Int8(outer * l * inner, 50 + i, -127)).ToArray();
        float[] multipliers = [0.75f, 1f, 1.3f];
        var expected = ShapeReference.Concat(parts, lengths, outer, inner);
        var expectedQ = ShapeReference.Concat(partsQ, lengths, outer, inner, (part, q) => ShapeReference.RequantizeCopy(q, multipliers[part]));
        int total = lengths.Sum() * inner, offset = 0;
        using var dy = OpTestDevice.Zeros<float>(device, (long)outer * total);
        using var dyq = OpTestDevice.Zeros<sbyte>(device, (long)outer * total);
        for (var i = 0; i < lengths.Length; i++)
        {
            using var dx = OpTestDevice.Upload(device, parts[i]);
            using var dq = OpTestDevice.Upload(device, partsQ[i]);
            Concat.Float(device, dx.View, dy.View, outer, lengths[i] * inner, total, offset);
            Concat.Int8(device, dq.View, dyq.View, outer, lengths[i] * inner, total, offset, multipliers[i]);
            device.Synchronize();
            offset += lengths[i] * inner;
        }

        Exact.EqualBits(expected, OpTestDevice.Read(device, dy), $"concat blocks f32 on {device.Kind}");
        Exact.Equal<sbyte>(expectedQ, OpTestDevice.Read(device, dyq), $"concat blocks s8 on {device.Kind}");
    }

    private static void CheckReshape(Int8Device device, TensorShape from, TensorShape to)
    {
        // In NCHW a reshape keeps the data; the NHWC kernel must produce NHWC(to) of the same NCHW sequence.
        var nchw = TestData.Float((int)from.Elements, 14);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<float>(nchw, from));
        using var dy = OpTestDevice.Zeros<float>(device, to.Elements);
        Reshape.Run<float>(device, dx.View, dy.View, from, to);
        Exact.EqualBits(nchw, LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), to), $"reshape {from}→{to} on {device.Kind}");
    }

    private static void CheckPad(Int8Device device, TensorShape s)
    {
        var x = TestData.Int8((int)s.Elements, 15);
        var expected = ShapeReference.Pad<sbyte>(x, s.N, s.C, s.H, s.W, 1, 2, 0, 3, 5);
        var outShape = new TensorShape(s.N, s.C, s.H + 3, s.W + 3);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<sbyte>(x, s));
        using var dy = OpTestDevice.Zeros<sbyte>(device, outShape.Elements);
        Padding.Run<sbyte>(device, dx.View, dy.View, s, 1, 2, 0, 3, 5);
        Exact.Equal<sbyte>(expected, LayoutReference.NhwcToNchw<sbyte>(OpTestDevice.Read(device, dy), outShape), $"pad on {device.Kind}");
    }

    private static void CheckConvert(Int8Device device, TensorShape s)
    {
        var x = TestData.Float((int)s.Elements, 16, 3f);
        const float scale = 2.5f / 127;
        var q = QuantizationReference.Quantize(x, [scale], x.Length);
        using var dx = OpTestDevice.Upload(device, x);
        using var dq = OpTestDevice.Zeros<sbyte>(device, s.Elements);
        using var dy = OpTestDevice.Zeros<float>(device, s.Elements);
        Kernels.Ops.Convert.Quantize(device, dx.View, TensorFormat.NCHW, dq.View, TensorFormat.NHWC, s, scale);
        Exact.Equal<sbyte>(LayoutReference.NchwToNhwc<sbyte>(q, s), OpTestDevice.Read(device, dq), $"quantize NCHW→NHWC on {device.Kind}");
        Kernels.Ops.Convert.Dequantize(device, dq.View, TensorFormat.NHWC, dy.View, TensorFormat.NCHW, s, scale);
        Exact.EqualBits(QuantizationReference.Dequantize(q, [scale], q.Length), OpTestDevice.Read(device, dy), $"dequantize NHWC→NCHW on {device.Kind}");
    }
}
