using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

public sealed class PoolingOpTests
{
    private static readonly PoolProblem[] Problems =
    [
        new(1, 3, 6, 6, 2, 2, 2, 2),
        new(2, 4, 7, 7, 3, 3, 2, 2, 1, 1),
        new(2, 8, 5, 5, 3, 3, 2, 2, 1, 1, CeilMode: true), // int8 max: four channels a 32-bit word
        new(1, 2, 7, 6, 3, 3, 2, 2, 1, 1, CeilMode: true),
        new(1, 3, 5, 8, 2, 3, 2, 3, 0, 1, CeilMode: true),
        PoolProblem.Global(2, 5, 4, 3),
        new(1, 3, 5, 5, 3, 3, 1, 1, 0, 0) { PadBottom = 1, PadRight = 1 },       // ONNX SAME_UPPER: the extra pad at the end
        new(1, 2, 6, 6, 3, 3, 2, 2, 1, 1) { PadBottom = 0, PadRight = 0 },       // SAME_LOWER: at the start
        new(2, 3, 5, 5, 3, 3, 1, 1, 2, 2),                                       // pads 2 > half the window 3
        new(1, 2, 7, 6, 3, 2, 2, 2, 2, 0, CeilMode: true) { PadBottom = 1, PadRight = 1 },
    ];

    public static TheoryData<int, PoolingMode> Cases()
    {
        var data = new TheoryData<int, PoolingMode>();
        for (var i = 0; i < Problems.Length; i++)
        {
            foreach (var mode in Enum.GetValues<PoolingMode>())
            {
                data.Add(i, mode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_pooling_matches_reference(int index, PoolingMode mode) => CheckFloat(TestDevices.Cpu, Problems[index], mode);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Int8_pooling_matches_reference(int index, PoolingMode mode) => CheckInt8(TestDevices.Cpu, Problems[index], mode);

    [Fact]
    public void Ceil_mode_drops_a_window_that_starts_in_the_right_padding()
    {
        // H = 5, window 2, stride 2, pad 1: ceil((5 + 2 − 2) / 2) + 1 = 4, but the 4th window would start at 3·2 = 6 ≥ H + pad,
        // entirely in the right padding, so it is dropped (PyTorch gives 3). H = 4: 3 windows, the last starting at 4 < 5.
        Assert.Equal(3, PoolProblem.OutputSize(5, 2, 2, 1, ceil: true));
        Assert.Equal(3, PoolProblem.OutputSize(4, 2, 2, 1, ceil: true));
        Assert.Equal(2, PoolProblem.OutputSize(3, 2, 2, 0, ceil: true));
        Assert.Equal(1, PoolProblem.OutputSize(3, 2, 2, 0, ceil: false));
    }

    [Fact]
    public void Separate_end_padding_sizes_the_output()
    {
        // H = 5, window 3, stride 2, pads 0 and 1: ⌊(5 + 0 + 1 − 3) / 2⌋ + 1 = 2; ceil: ⌈3 / 2⌉ + 1 = 3 (start 4 < H + 0 stays).
        Assert.Equal(2, PoolProblem.OutputSize(5, 3, 2, 0, 1, ceil: false));
        Assert.Equal(3, PoolProblem.OutputSize(5, 3, 2, 0, 1, ceil: true));
        var p = new PoolProblem(1, 1, 5, 4, 3, 3, 2, 1, 0, 1) { PadBottom = 1, PadRight = 0 };
        Assert.Equal((2, 3), (p.P, p.Q));
        Assert.Contains("pad=0x1/1x0", p.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Padding_as_large_as_the_window_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PoolProblem(1, 1, 4, 4, 2, 2, 1, 1, 2, 0).Validate());
        Assert.Contains("padding", ex.Message, StringComparison.Ordinal);
        var end = Assert.Throws<ArgumentException>(() => (new PoolProblem(1, 1, 4, 4, 2, 2, 1, 1) { PadRight = 2 }).Validate());
        Assert.Contains("padding", end.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Pooling_on_gpu_matches_reference()
    {
        var device = TestDevices.Cuda;
        // The last has 2·200·200 = 80000 output pixels: more than a grid's 65535 in y.
        foreach (var p in Problems.Append(new PoolProblem(8, 64, 56, 56, 3, 3, 2, 2, 1, 1)).Append(new PoolProblem(2, 4, 400, 400, 2, 2, 2, 2)))
        {
            foreach (var mode in Enum.GetValues<PoolingMode>())
            {
                CheckFloat(device, p, mode);
                CheckInt8(device, p, mode);
            }
        }
    }

    private static void CheckFloat(Int8Device device, PoolProblem p, PoolingMode mode)
    {
        var x = TestData.Float(p.N * p.C * p.H * p.W, 7);
        var expected = PoolingReference.Float(x, p, mode);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<float>(x, new TensorShape(p.N, p.C, p.H, p.W)));
        using var dy = OpTestDevice.Zeros<float>(device, (long)p.N * p.C * p.P * p.Q);
        Pooling.Float(device, dx.View, dy.View, p, mode);
        var actual = LayoutReference.NhwcToNchw<float>(OpTestDevice.Read(device, dy), new TensorShape(p.N, p.C, p.P, p.Q));
        Close.Equal(expected, actual, $"pool f32 {mode} {p} on {device.Kind}", 1e-5f, 1e-6f);
    }

    private static void CheckInt8(Int8Device device, PoolProblem p, PoolingMode mode)
    {
        var x = TestData.Int8(p.N * p.C * p.H * p.W, 8, -127);
        var multipliers = Pooling.AverageMultipliers(0.02f, 0.015f, p.R * p.S);
        var expected = PoolingReference.Int8(x, p, mode, multipliers);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<sbyte>(x, new TensorShape(p.N, p.C, p.H, p.W)));
        using var dm = OpTestDevice.Upload(device, multipliers);
        using var dy = OpTestDevice.Zeros<sbyte>(device, (long)p.N * p.C * p.P * p.Q);
        if (mode == PoolingMode.Max)
        {
            Pooling.Int8Max(device, dx.View, dy.View, p);
        }
        else
        {
            Pooling.Int8Average(device, dx.View, dy.View, dm.View, p, mode == PoolingMode.AverageCountPadding);
        }

        var actual = LayoutReference.NhwcToNchw<sbyte>(OpTestDevice.Read(device, dy), new TensorShape(p.N, p.C, p.P, p.Q));
        Exact.Equal<sbyte>(expected, actual, $"pool s8 {mode} {p} on {device.Kind}");
    }
}
