using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Runtime;

public sealed class ReformatTests
{
    public static TheoryData<TensorFormat, TensorFormat> FormatPairs()
    {
        var data = new TheoryData<TensorFormat, TensorFormat>();
        foreach (var from in Enum.GetValues<TensorFormat>())
        {
            foreach (var to in Enum.GetValues<TensorFormat>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FormatPairs))]
    public void Int8_reformat_matches_host_offsets(TensorFormat from, TensorFormat to)
    {
        RunCase(TestDevices.Cpu, new TensorShape(2, 7, 3, 5), from, to);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Int8_reformat_on_gpu_matches_host_offsets()
    {
        var device = TestDevices.Cuda;
        foreach (var from in Enum.GetValues<TensorFormat>())
        {
            foreach (var to in Enum.GetValues<TensorFormat>())
            {
                RunCase(device, new TensorShape(3, 37, 11, 13), from, to);
            }
        }
    }

    [Fact]
    public void Float_nchw_to_nhwc_and_back_is_identity()
    {
        var device = TestDevices.Cpu;
        var shape = new TensorShape(2, 3, 4, 5);
        var data = TestData.Float((int)shape.Elements, seed: 5);
        using var a = new DeviceTensor(device, shape, DataType.Float, TensorFormat.NCHW);
        using var b = new DeviceTensor(device, shape, DataType.Float, TensorFormat.NHWC);
        using var c = new DeviceTensor(device, shape, DataType.Float, TensorFormat.NCHW);
        a.CopyFrom<float>(data);
        Reformat.Run(a, b);
        Reformat.Run(b, c);
        Exact.EqualBits(data, c.ToArray<float>(), "NCHW→NHWC→NCHW");
    }

    [Fact]
    public void Mismatched_shapes_are_rejected_before_launch()
    {
        var device = TestDevices.Cpu;
        using var a = new DeviceTensor(device, new TensorShape(1, 4, 2, 2), DataType.Int8, TensorFormat.NCHW);
        using var b = new DeviceTensor(device, new TensorShape(1, 4, 2, 3), DataType.Int8, TensorFormat.NHWC);
        var ex = Assert.Throws<ArgumentException>(() => Reformat.Run(a, b));
        Assert.Contains("Shapes differ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Int8x4_requires_vect_c_format()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new DeviceTensor(TestDevices.Cpu, new TensorShape(1, 4, 2, 2), DataType.Int8x4, TensorFormat.NHWC));
        Assert.Contains("NCHW_VECT_C", ex.Message, StringComparison.Ordinal);
    }

    private static void RunCase(Int8Device device, TensorShape shape, TensorFormat from, TensorFormat to)
    {
        // Logical values v(n,c,h,w) laid out in the source format; the destination must hold the same values at its offsets.
        var logical = TestData.Int8((int)shape.Elements, seed: 17);
        var src = new sbyte[shape.StoredElements(from)];
        var expected = new sbyte[shape.StoredElements(to)];
        var i = 0;
        for (var n = 0; n < shape.N; n++)
        {
            for (var c = 0; c < shape.C; c++)
            {
                for (var h = 0; h < shape.H; h++)
                {
                    for (var w = 0; w < shape.W; w++, i++)
                    {
                        src[shape.Offset(from, n, c, h, w)] = logical[i];
                        expected[shape.Offset(to, n, c, h, w)] = logical[i];
                    }
                }
            }
        }

        using var a = new DeviceTensor(device, shape, DataType.Int8, from);
        using var b = new DeviceTensor(device, shape, DataType.Int8, to);
        a.CopyFrom<sbyte>(src);
        // Dirty the destination so that padding channels must be cleared by the reformat.
        b.CopyFrom<sbyte>(Enumerable.Repeat((sbyte)9, expected.Length).ToArray());
        Reformat.Run(a, b);
        Exact.Equal<sbyte>(expected, b.ToArray<sbyte>(), $"reformat {from}→{to} {shape} on {device.Kind}");
    }
}
