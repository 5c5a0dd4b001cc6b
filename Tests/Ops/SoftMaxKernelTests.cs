using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// Softmax kernels against the references: one thread a pixel below 32 channels, one warp a pixel from 32 on
/// (the int8 path bit-exact, in the lane order both follow; the float path within a tolerance).
/// </summary>
public sealed class SoftMaxKernelTests
{
    public static TheoryData<int, int> Shapes() => new() { { 5, 1 }, { 4, 3 }, { 3, 31 }, { 3, 32 }, { 3, 33 }, { 2, 1000 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Int8_softmax_is_bit_exact(int pixels, int channels) => CheckInt8(TestDevices.Cpu, pixels, channels, 40 + channels);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_softmax_matches_reference(int pixels, int channels) => CheckFloat(TestDevices.Cpu, pixels, channels, 60 + channels);

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public void A_nan_makes_its_row_nan_and_leaves_other_rows(int channels)
    {
        var device = TestDevices.Cpu;
        var x = TestData.Float(2 * channels, 5, 4f);
        x[channels - 1] = float.NaN; // row 0, last channel
        using var dx = OpTestDevice.Upload(device, x);
        using var dy = OpTestDevice.Zeros<float>(device, x.Length);
        SoftMax.Float(device, dx.View, dy.View, 2, channels);
        var y = OpTestDevice.Read(device, dy);
        Assert.All(y.AsSpan(0, channels).ToArray(), v => Assert.True(float.IsNaN(v), $"row 0 gave {v}"));
        var expected = NormalizationReference.SoftMax(x.AsSpan(channels), 1, channels, 1);
        Close.Equal(expected, y.AsSpan(channels), $"softmax f32 row 1 of C={channels}", 1e-5f, 1e-7f);
    }

    [Fact]
    public void Lane_order_sum_is_the_butterfly_of_strided_partial_sums()
    {
        // Values chosen so float addition is not associative here: the order shows in the bits.
        var values = Enumerable.Range(0, 100).Select(i => i % 7 == 0 ? 1e8f : 1f + (i * 1e-3f)).ToArray();
        Assert.Equal(values.Aggregate(0f, (s, v) => s + v), SoftMax.SumInLaneOrder(values, 1));
        var s = new float[32];
        for (var j = 0; j < values.Length; j++)
        {
            s[j % 32] += values[j];
        }

        // Butterfly on all 32 lanes; lane 0's value is the definition.
        foreach (var k in new[] { 16, 8, 4, 2, 1 })
        {
            s = Enumerable.Range(0, 32).Select(l => s[l] + s[l ^ k]).ToArray();
        }

        Assert.Equal(s[0], SoftMax.SumInLaneOrder(values, 32));
        Assert.All(s, v => Assert.Equal(s[0], v));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftMax.SumInLaneOrder(values, 3));
    }

    [Fact]
    public void Cpu_accelerator_runs_warp_shuffles()
    {
        var device = TestDevices.Cpu;
        Assert.Equal(32, device.Accelerator.WarpSize);
        using var y = OpTestDevice.Zeros<int>(device, 2 * 32 * 6);
        var kernel = device.Accelerator.LoadStreamKernel<ArrayView<int>>(ShuffleKernel);
        kernel(new KernelConfig(1, 64), y.View);
        var r = OpTestDevice.Read(device, y);
        for (var t = 0; t < 64; t++)
        {
            int lane = t % 32;
            Assert.Equal(lane, r[(t * 6) + 0]);
            int[] masks = [16, 8, 4, 2, 1];
            for (var m = 0; m < masks.Length; m++)
            {
                int source = (t - lane) + (lane ^ masks[m]);
                Assert.Equal((source * 7) + 1, r[(t * 6) + 1 + m]);
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Softmax_kernels_on_gpu_match_reference()
    {
        var device = TestDevices.Cuda;
        foreach (var (pixels, channels) in new[] { (5, 1), (4, 3), (3, 31), (3, 32), (3, 33), (256, 1000), (70000, 21) })
        {
            CheckInt8(device, pixels, channels, 40 + channels);
            CheckFloat(device, pixels, channels, 60 + channels);
        }
    }

    /// <summary>Thread t writes its lane and ShuffleXor(7t + 1, k) for k = 16, 8, 4, 2, 1.</summary>
    internal static void ShuffleKernel(ArrayView<int> y)
    {
        int t = Grid.GlobalIndex.X;
        int v = (t * 7) + 1;
        y[t * 6] = Warp.LaneIdx;
        y[(t * 6) + 1] = Warp.ShuffleXor(v, 16);
        y[(t * 6) + 2] = Warp.ShuffleXor(v, 8);
        y[(t * 6) + 3] = Warp.ShuffleXor(v, 4);
        y[(t * 6) + 4] = Warp.ShuffleXor(v, 2);
        y[(t * 6) + 5] = Warp.ShuffleXor(v, 1);
    }

    private static void CheckInt8(Int8Device device, int pixels, int channels, int seed)
    {
        var q = TestData.Int8(pixels * channels, seed);
        if (channels > 1)
        {
            q[channels] = 127; // row 1 (when there is one) holds 127 and −128: table entry 255
            q[channels + 1 < q.Length ? channels + 1 : 0] = -128;
        }

        var table = Int8LookupTable.SoftMaxExp(0.05f);
        var expected = NormalizationReference.SoftMaxInt8(q, table, pixels, channels, 1);
        using var dq = OpTestDevice.Upload(device, q);
        using var dt = OpTestDevice.Upload(device, table);
        using var dy = OpTestDevice.Zeros<float>(device, q.Length);
        SoftMax.Int8(device, dq.View, dy.View, dt.View, pixels, channels);
        Exact.EqualBits(expected, OpTestDevice.Read(device, dy), $"softmax s8 {pixels}x{channels} on {device.Kind}");
    }

    private static void CheckFloat(Int8Device device, int pixels, int channels, int seed)
    {
        var x = TestData.Float(pixels * channels, seed, 6f);
        var expected = NormalizationReference.SoftMax(x, pixels, channels, 1);
        using var dx = OpTestDevice.Upload(device, x);
        using var dy = OpTestDevice.Zeros<float>(device, x.Length);
        SoftMax.Float(device, dx.View, dy.View, pixels, channels);
        Close.Equal(expected, OpTestDevice.Read(device, dy), $"softmax f32 {pixels}x{channels} on {device.Kind}", device.IsCuda ? 1e-4f : 1e-5f, 1e-7f);
    }
}
