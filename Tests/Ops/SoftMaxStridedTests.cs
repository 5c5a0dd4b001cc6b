using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// <see cref="SoftMaxStrided"/> against <see cref="NormalizationReference.SoftMax"/> over [outer, length, inner] (the
/// reference's n, c, hw): every (o, i) normalizes the <c>length</c> values at stride <c>inner</c>.
/// </summary>
public sealed class SoftMaxStridedTests
{
    public static TheoryData<int, int, int, float> Shapes() => new()
    {
        { 3, 5, 4, 5f },     // NHWC along W of 3 rows: (N·H, W, C)
        { 2, 7, 1, 5f },     // inner 1: the channel form
        { 1, 6, 12, 5f },    // along H: (N, H, W·C)
        { 4, 1, 3, 5f },     // length 1: every output is 1
        { 2, 9, 5, 80f },    // large magnitudes: exp(x − max) must not overflow
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_matches_reference(int outer, int length, int inner, float range) =>
        Check(TestDevices.Cpu, outer, length, inner, range, seed: outer + (7 * length) + (31 * inner));

    [Fact]
    public void Bad_arguments_are_refused_before_launch_and_nothing_is_written()
    {
        var device = TestDevices.Cpu;
        using var x = OpTestDevice.Upload(device, TestData.Float(24, 3));
        using var y = OpTestDevice.Zeros<float>(device, 23);
        Assert.Equal("outer", Assert.Throws<ArgumentOutOfRangeException>(() => SoftMaxStrided.Float(device, x.View, y.View, 0, 4, 6)).ParamName);
        Assert.Equal("inner", Assert.Throws<ArgumentOutOfRangeException>(() => SoftMaxStrided.Float(device, x.View, y.View, 1, 4, -1)).ParamName);
        Assert.Contains("y", Assert.Throws<ArgumentException>(() => SoftMaxStrided.Float(device, x.View, y.View, 1, 4, 6)).Message, StringComparison.Ordinal);
        Assert.All(OpTestDevice.Read(device, y), v => Assert.Equal(0f, v));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Float_on_gpu_matches_reference()
    {
        var device = TestDevices.Cuda;
        Check(device, 64, 1000, 1, 5f, seed: 1);
        Check(device, 8 * 56, 56, 64, 5f, seed: 2);   // along W of [8, 64, 56, 56]
        Check(device, 8, 56, 56 * 64, 5f, seed: 3);   // along H
        Check(device, 2, 300, 70000, 30f, seed: 4);   // 140000 threads: more than a grid's 65535 in y
    }

    private static void Check(Int8Device device, int outer, int length, int inner, float range, int seed)
    {
        var x = TestData.Float(outer * length * inner, seed, range);
        var expected = NormalizationReference.SoftMax(x, outer, length, inner);
        using var dx = OpTestDevice.Upload(device, x);
        using var dy = OpTestDevice.Zeros<float>(device, x.Length);
        SoftMaxStrided.Float(device, dx.View, dy.View, outer, length, inner);
        Close.Equal(expected, OpTestDevice.Read(device, dy), $"strided softmax [{outer}, {length}, {inner}] on {device.Kind}", device.IsCuda ? 1e-4f : 1e-5f, 1e-7f);
    }
}
