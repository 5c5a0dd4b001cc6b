using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// Int8 max pooling, bit-exact with <see cref="PoolingReference"/> through each of its three kernels (16 channels a
/// thread, 4, 1; the view offset picks the narrower ones) and windows that need one, several or partial 3×3 tap blocks.
/// </summary>
public sealed class PoolingMaxInt8Tests
{
    private static readonly PoolProblem[] Problems =
    [
        new(2, 16, 7, 7, 3, 3, 2, 2, 1, 1), // the ResNet stem pool, small
        new(1, 32, 6, 5, 3, 3, 2, 2, 1, 1, CeilMode: true),
        new(1, 64, 4, 4, 2, 2, 2, 2),
        new(2, 3, 9, 9, 3, 3, 2, 2, 1, 1),
        new(1, 1, 8, 7, 5, 4, 3, 2, 2, 1, CeilMode: true), // 5×4 window: a full and a clamped partial block
        new(1, 8, 5, 5, 3, 3, 1, 1, 1, 1),
        PoolProblem.Global(2, 16, 7, 7), // 7×7: 3×3 blocks, the last ones clamped
    ];

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (var i = 0; i < Problems.Length; i++)
        {
            foreach (var offset in new[] { 0, 4, 1 })
            {
                data.Add(i, offset);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Int8_max_pooling_is_bit_exact(int index, int offset) => Check(TestDevices.Cpu, Problems[index], offset, 80 + index);

    [Fact]
    public void All_minus_128_stays_minus_128_and_127_wins()
    {
        var device = TestDevices.Cpu;
        var p = new PoolProblem(1, 16, 4, 4, 3, 3, 2, 2, 1, 1);
        var x = Enumerable.Repeat((sbyte)-128, p.N * p.C * p.H * p.W).ToArray();
        x[5] = 127; // NCHW: channel 0, (h, w) = (1, 1), inside every window of channel 0
        var expected = PoolingReference.Int8(x, p, PoolingMode.Max, []);
        Assert.Contains((sbyte)127, expected);
        Assert.Contains((sbyte)-128, expected);
        using var dx = OpTestDevice.Upload(device, LayoutReference.NchwToNhwc<sbyte>(x, new TensorShape(p.N, p.C, p.H, p.W)));
        using var dy = OpTestDevice.Zeros<sbyte>(device, (long)p.N * p.C * p.P * p.Q);
        Pooling.Int8Max(device, dx.View, dy.View, p);
        Exact.Equal<sbyte>(expected, LayoutReference.NhwcToNchw<sbyte>(OpTestDevice.Read(device, dy), new TensorShape(p.N, p.C, p.P, p.Q)), "pool s8 max edges");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Int8_max_pooling_on_gpu_is_bit_exact()
    {
        var device = TestDevices.Cuda;
        var gpu = Problems.Append(new PoolProblem(8, 64, 112, 112, 3, 3, 2, 2, 1, 1)).Append(new PoolProblem(2, 4, 400, 400, 2, 2, 2, 2)).ToArray();
        for (var i = 0; i < gpu.Length; i++)
        {
            foreach (var offset in new[] { 0, 4, 1 })
            {
                Check(device, gpu[i], offset, 80 + i);
            }
        }
    }

    private static void Check(Int8Device device, PoolProblem p, int offset, int seed)
    {
        var x = TestData.Int8(p.N * p.C * p.H * p.W, seed);
        var expected = PoolingReference.Int8(x, p, PoolingMode.Max, []);
        var nhwc = LayoutReference.NchwToNhwc<sbyte>(x, new TensorShape(p.N, p.C, p.H, p.W));
        long outputs = (long)p.N * p.C * p.P * p.Q;

        // Both views start `offset` bytes into their buffers: 0 keeps 16-byte alignment, 4 only 4-byte, 1 none.
        using var dx = OpTestDevice.Upload(device, new sbyte[offset].Concat(nhwc).ToArray());
        using var dy = OpTestDevice.Upload(device, Enumerable.Repeat((sbyte)55, (int)outputs + offset + 16).ToArray());
        Pooling.Int8Max(device, dx.View.SubView(offset, nhwc.Length), dy.View.SubView(offset, outputs), p);
        var all = OpTestDevice.Read(device, dy);
        var actual = LayoutReference.NhwcToNchw<sbyte>(all.AsSpan(offset, (int)outputs).ToArray(), new TensorShape(p.N, p.C, p.P, p.Q));
        Exact.Equal<sbyte>(expected, actual, $"pool s8 max {p} offset {offset} on {device.Kind}");
        Assert.All(all.AsSpan(0, offset).ToArray().Concat(all.AsSpan(offset + (int)outputs).ToArray()), v => Assert.Equal(55, v));
    }
}
