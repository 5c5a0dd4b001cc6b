using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Quantization;

/// <summary>
/// The tensor overloads: the channel of each element comes from the tensor's shape, format and axis. The expected values
/// are built element by element from logical (n, c, h, w) and <see cref="TensorShape.Offset"/>, independently of
/// <see cref="PerChannelIndex.ForAxis"/>.
/// </summary>
public sealed class QuantizationTensorTests
{
    public static TheoryData<TensorFormat, int> FormatsAndAxes()
    {
        var data = new TheoryData<TensorFormat, int>();
        foreach (var format in new[] { TensorFormat.NCHW, TensorFormat.NHWC })
        {
            for (var axis = -1; axis < 4; axis++)
            {
                data.Add(format, axis);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FormatsAndAxes))]
    public void Quantize_and_dequantize_tensors_use_the_axis_channel(TensorFormat format, int axis) =>
        CheckTensor(TestDevices.Cpu, new TensorShape(2, 5, 3, 7), format, axis);

    [Fact]
    public void Matrix_rows_and_columns_as_channels()
    {
        // A [rows, cols] matrix is shape (rows, cols, 1, 1): axis 0 = per row, axis 1 = per column.
        CheckTensor(TestDevices.Cpu, new TensorShape(9, 37, 1, 1), TensorFormat.NCHW, 0);
        CheckTensor(TestDevices.Cpu, new TensorShape(9, 37, 1, 1), TensorFormat.NCHW, 1);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Tensors_on_gpu_use_the_axis_channel()
    {
        foreach (var format in new[] { TensorFormat.NCHW, TensorFormat.NHWC })
        {
            for (var axis = -1; axis < 4; axis++)
            {
                CheckTensor(TestDevices.Cuda, new TensorShape(8, 67, 29, 31), format, axis);
            }
        }
    }

    [Theory]
    [InlineData(TensorFormat.NCHW, false)]
    [InlineData(TensorFormat.NHWC, true)]
    public void Requantize_tensors_per_output_channel(TensorFormat format, bool relu)
    {
        var device = TestDevices.Cpu;
        var shape = new TensorShape(2, 6, 3, 5);
        var n = (int)shape.Elements;
        var acc = TestData.Int32(n, seed: 31, lo: -300_000, hi: 300_000);
        acc[0] = int.MinValue;
        acc[1] = int.MaxValue;
        var bias = TestData.Int32(shape.C, seed: 32, lo: -4000, hi: 4000);
        var multiplier = Enumerable.Range(0, shape.C).Select(c => 0.0003 + (0.0001 * c)).ToArray();
        var multiplierF = multiplier.Select(m => (float)m).ToArray();

        // Expected: element at offset(n, c, h, w) uses channel c.
        var expectedFloat = new sbyte[n];
        var expectedFixed = new sbyte[n];
        foreach (var (offset, c) in Elements(shape, format, axis: 1))
        {
            expectedFloat[offset] = QuantizationReference.RequantizeFloat([acc[offset]], [bias[c]], [multiplierF[c]], 1, relu)[0];
            expectedFixed[offset] = QuantizationReference.RequantizeFixedPoint([acc[offset]], [bias[c]], [multiplier[c]], 1, relu)[0];
        }

        using var a = new DeviceTensor(device, shape, DataType.Int32, format);
        using var y = new DeviceTensor(device, shape, DataType.Int8, format);
        a.CopyFrom<int>(acc);
        Requantizer.WithFloatMultiplier(a, y, bias, multiplierF, relu);
        Exact.Equal<sbyte>(expectedFloat, y.ToArray<sbyte>(), $"requantize float {shape} {format}");
        Requantizer.WithFixedPoint(a, y, bias, multiplier, relu);
        Exact.Equal<sbyte>(expectedFixed, y.ToArray<sbyte>(), $"requantize fixed {shape} {format}");
    }

    [Fact]
    public void Mismatched_tensors_are_rejected_before_launch_and_nothing_is_written()
    {
        var device = TestDevices.Cpu;
        var shape = new TensorShape(1, 4, 2, 3);
        var scale = QuantizationParams.PerTensor(0.5f);
        using var x = new DeviceTensor(device, shape, DataType.Float, TensorFormat.NCHW);
        x.CopyFrom<float>(TestData.Float((int)shape.Elements, seed: 1));
        using var q = Dirty(new DeviceTensor(device, shape, DataType.Int8, TensorFormat.NCHW, scale));
        using var qNhwc = Dirty(new DeviceTensor(device, shape, DataType.Int8, TensorFormat.NHWC, scale));
        using var qOtherShape = Dirty(new DeviceTensor(device, new TensorShape(1, 4, 3, 2), DataType.Int8, TensorFormat.NCHW, scale));
        using var qNoParams = Dirty(new DeviceTensor(device, shape, DataType.Int8, TensorFormat.NCHW));
        using var qWrongCount = Dirty(new DeviceTensor(device, shape, DataType.Int8, TensorFormat.NCHW, QuantizationParams.PerChannel([1f, 2f, 3f], 1)));
        using var qBadAxis = Dirty(new DeviceTensor(device, shape, DataType.Int8, TensorFormat.NCHW, QuantizationParams.PerChannel([1f], 4)));
        using var i32 = new DeviceTensor(device, shape, DataType.Int32, TensorFormat.NCHW);
        using var fOut = new DeviceTensor(device, shape, DataType.Float, TensorFormat.NCHW);
        fOut.CopyFrom<float>(Enumerable.Repeat(9f, (int)shape.Elements).ToArray());

        AssertRejected("q", () => Quantizer.Run(x, qNhwc), qNhwc);
        AssertRejected("q", () => Quantizer.Run(x, qOtherShape), qOtherShape);
        AssertRejected("q", () => Quantizer.Run(x, qNoParams), qNoParams);
        AssertRejected("q", () => Quantizer.Run(x, qWrongCount), qWrongCount);
        AssertRejected("q", () => Quantizer.Run(x, qBadAxis), qBadAxis);
        AssertRejected("x", () => Quantizer.Run(i32, q), q);
        AssertRejected("q", () => Quantizer.Run(x, fOut), fOut);
        AssertRejected("x", () => Dequantizer.Run(q, i32), i32);
        AssertRejected("x", () => Dequantizer.Run(qNhwc, fOut), fOut);
        AssertRejected("q", () => Dequantizer.Run(qNoParams, fOut), fOut);
        AssertRejected("bias", () => Requantizer.WithFloatMultiplier(i32, q, [1, 2, 3], [1f, 1f, 1f], relu: false), q);
        AssertRejected("y", () => Requantizer.WithFixedPoint(i32, qNhwc, [1, 2, 3, 4], [1.0, 1.0, 1.0, 1.0], relu: false), qNhwc);
        AssertRejected("acc", () => Requantizer.WithFloatMultiplier(x, q, [1, 2, 3, 4], [1f, 1f, 1f, 1f], relu: false), q);
    }

    // Runs the per-tensor (axis -1) or per-channel case through the tensor API both ways and compares bit-exactly.
    private static void CheckTensor(Int8Device device, TensorShape shape, TensorFormat format, int axis)
    {
        var n = (int)shape.Elements;
        var x = TestData.Float(n, seed: n + axis, range: 4f);
        x[0] = float.NaN;
        x[n / 2] = float.NegativeInfinity;
        x[n - 1] = 1e30f;
        int[] sizes = [shape.N, shape.C, shape.H, shape.W];
        var count = axis < 0 ? 1 : sizes[axis];
        var scales = Enumerable.Range(0, count).Select(c => 0.011f + (0.0037f * c)).ToArray();
        var p = axis < 0 ? QuantizationParams.PerTensor(scales[0]) : QuantizationParams.PerChannel(scales, axis);

        var expectedQ = new sbyte[n];
        var expectedX = new float[n];
        foreach (var (offset, c) in Elements(shape, format, Math.Max(axis, 0)))
        {
            var s = scales[axis < 0 ? 0 : c];
            expectedQ[offset] = QuantizationReference.Quantize([x[offset]], [s], 1)[0];
            expectedX[offset] = QuantizationReference.Dequantize([expectedQ[offset]], [s], 1)[0];
        }

        using var dx = new DeviceTensor(device, shape, DataType.Float, format);
        using var dq = new DeviceTensor(device, shape, DataType.Int8, format, p);
        using var back = new DeviceTensor(device, shape, DataType.Float, format);
        dx.CopyFrom<float>(x);
        Quantizer.Run(dx, dq);
        var what = $"{shape} {format} axis {axis} on {device.Kind}";
        Exact.Equal<sbyte>(expectedQ, dq.ToArray<sbyte>(), $"quantize {what}");
        Dequantizer.Run(dq, back);
        Exact.EqualBits(expectedX, back.ToArray<float>(), $"dequantize {what}");
    }

    // (storage offset, coordinate along axis) of every logical element.
    private static IEnumerable<(long Offset, int Channel)> Elements(TensorShape shape, TensorFormat format, int axis)
    {
        for (var n = 0; n < shape.N; n++)
        {
            for (var c = 0; c < shape.C; c++)
            {
                for (var h = 0; h < shape.H; h++)
                {
                    for (var w = 0; w < shape.W; w++)
                    {
                        int[] coordinate = [n, c, h, w];
                        yield return (shape.Offset(format, n, c, h, w), coordinate[axis]);
                    }
                }
            }
        }
    }

    private static DeviceTensor Dirty(DeviceTensor t)
    {
        t.CopyFrom<sbyte>(Enumerable.Repeat((sbyte)9, (int)t.StoredElements).ToArray());
        return t;
    }

    private static void AssertRejected(string parameter, Action call, DeviceTensor output)
    {
        var before = AllBytes(output);
        var ex = Assert.Throws<ArgumentException>(call);
        Assert.Equal(parameter, ex.ParamName);
        Assert.Equal(before, AllBytes(output));
    }

    private static byte[] AllBytes(DeviceTensor t)
    {
        var bytes = new byte[t.Bytes.Length];
        t.Device.Synchronize();
        t.Bytes.CopyToCPU(bytes);
        return bytes;
    }
}
