using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Quantization;

public sealed class QuantizationKernelTests
{
    public static TheoryData<int> Lengths => [1, 3, 17, 64, 1005];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Quantize_per_tensor_matches_reference(int n) => CheckQuantize(TestDevices.Cpu, n, channels: 1, inner: n);

    [Theory]
    [InlineData(3, 5, 2)]
    [InlineData(7, 1, 9)]
    [InlineData(4, 16, 3)]
    public void Quantize_per_channel_matches_reference(int channels, int inner, int outer) =>
        CheckQuantize(TestDevices.Cpu, channels * inner * outer, channels, inner);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dequantize_matches_reference(int n) => CheckDequantize(TestDevices.Cpu, n, channels: 1, inner: n);

    [Theory]
    [InlineData(3, 5, 2)]
    [InlineData(16, 1, 5)]
    public void Dequantize_per_channel_matches_reference(int channels, int inner, int outer) =>
        CheckDequantize(TestDevices.Cpu, channels * inner * outer, channels, inner);

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(5, 3, true)]
    [InlineData(16, 8, false)]
    [InlineData(7, 151, true)]
    public void Requantize_float_matches_reference(int channels, int rows, bool relu) =>
        CheckRequantize(TestDevices.Cpu, channels, rows, relu, fixedPoint: false);

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(5, 3, true)]
    [InlineData(16, 8, false)]
    [InlineData(7, 151, true)]
    public void Requantize_fixed_point_matches_reference(int channels, int rows, bool relu) =>
        CheckRequantize(TestDevices.Cpu, channels, rows, relu, fixedPoint: true);

    [Fact]
    [Trait("Category", "Gpu")]
    public void All_kernels_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        CheckQuantize(device, 4_000_037, 1, 4_000_037);
        CheckQuantize(device, 64 * 3 * 1000, 64, 3);
        CheckDequantize(device, 4_000_037, 1, 4_000_037);
        CheckDequantize(device, 64 * 1000, 64, 1);
        CheckRequantize(device, 64, 30_001, relu: true, fixedPoint: false);
        CheckRequantize(device, 64, 30_001, relu: false, fixedPoint: true);
    }

    [Fact]
    public void Invalid_scales_are_rejected_and_nothing_is_written()
    {
        var device = TestDevices.Cpu;
        using var x = device.Accelerator.Allocate1D(new float[] { 1, 2, 3, 4 });
        using var q = device.Accelerator.Allocate1D(new sbyte[] { 9, 9, 9, 9 });
        foreach (var bad in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            var ex = Assert.Throws<ArgumentException>(() => Quantizer.PerTensor(device, x.View, q.View, bad));
            Assert.Equal("scale", ex.ParamName);
        }

        var ex2 = Assert.Throws<ArgumentException>(() => Quantizer.PerChannel(device, x.View, q.View, [1f, 0f], 2));
        Assert.Equal("scales", ex2.ParamName);
        Assert.All(q.GetAsArray1D(), v => Assert.Equal(9, v));
    }

    [Theory]
    [InlineData(1, 1005, 201)]
    [InlineData(3, 100, 1)]
    [InlineData(16, 1000, 1)]
    public void Views_at_any_byte_offset_match_reference(int offset, int n, int inner)
    {
        // Views that do not start on 16 bytes take the one-element path; offset 16 keeps the vector path on a sub-view.
        var device = TestDevices.Cpu;
        var x = TestData.Float(offset + n, seed: 77, range: 2f);
        var q8 = TestData.Int8(offset + n, seed: 78);
        using var dx = device.Accelerator.Allocate1D(x);
        // Outputs pre-filled with 9: the elements before the view must keep it.
        using var dq = device.Accelerator.Allocate1D(Enumerable.Repeat((sbyte)9, offset + n).ToArray());
        using var dq8 = device.Accelerator.Allocate1D(q8);
        using var df = device.Accelerator.Allocate1D(Enumerable.Repeat(9f, offset + n).ToArray());
        Quantizer.PerChannel(device, dx.View.SubView(offset, n), dq.View.SubView(offset, n), [0.01f, 0.02f, 0.05f, 0.07f, 0.11f], inner);
        Dequantizer.PerTensor(device, dq8.View.SubView(offset, n), df.View.SubView(offset, n), 0.125f);
        var expectedQ = Enumerable.Repeat((sbyte)9, offset).Concat(QuantizationReference.Quantize(x.AsSpan(offset), [0.01f, 0.02f, 0.05f, 0.07f, 0.11f], inner)).ToArray();
        var expectedF = Enumerable.Repeat(9f, offset).Concat(QuantizationReference.Dequantize(q8.AsSpan(offset), [0.125f], n)).ToArray();
        Exact.Equal<sbyte>(expectedQ, dq.GetAsArray1D(), $"quantize view offset {offset} n {n}");
        Exact.EqualBits(expectedF, df.GetAsArray1D(), $"dequantize view offset {offset} n {n}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Requantize_fixed_point_over_every_shift_matches_reference(bool relu) =>
        CheckFixedPointShifts(TestDevices.Cpu, rows: 3, relu);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Requantize_fixed_point_over_every_shift_on_gpu()
    {
        CheckFixedPointShifts(TestDevices.Cuda, rows: 100_003, relu: false);
        CheckFixedPointShifts(TestDevices.Cuda, rows: 50_001, relu: true);
    }

    [Fact]
    public void Invalid_multipliers_are_rejected_and_nothing_is_written()
    {
        var device = TestDevices.Cpu;
        using var acc = device.Accelerator.Allocate1D(new[] { 1, 2, 3, 4 });
        using var y = device.Accelerator.Allocate1D(new sbyte[] { 9, 9, 9, 9 });
        using var x = device.Accelerator.Allocate1D(new float[] { 9, 9, 9, 9 });
        foreach (var bad in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            Assert.Equal("multiplier", Assert.Throws<ArgumentException>(() =>
                Requantizer.WithFloatMultiplier(device, acc.View, y.View, [0, 0], [1f, bad], 2, relu: false)).ParamName);
            Assert.Equal("scale", Assert.Throws<ArgumentException>(() => Dequantizer.PerTensor(device, y.View, x.View, bad)).ParamName);
            Assert.Equal("scales", Assert.Throws<ArgumentException>(() => Dequantizer.PerChannel(device, y.View, x.View, [bad, 1f], 1)).ParamName);
        }

        foreach (var bad in new[] { 0.0, -1.0, double.NaN, double.NegativeInfinity, double.PositiveInfinity, 4294967296.0 })
        {
            Assert.Equal("multiplier", Assert.Throws<ArgumentException>(() =>
                Requantizer.WithFixedPoint(device, acc.View, y.View, [0, 0], [bad, 1.0], 2, relu: true)).ParamName);
        }

        Assert.Equal("q", Assert.Throws<ArgumentException>(() => Dequantizer.PerChannel(device, y.View, x.View, [1f, 1f, 1f], 1)).ParamName);
        Assert.Equal("acc", Assert.Throws<ArgumentException>(() =>
            Requantizer.WithFixedPoint(device, acc.View, y.View, [0, 0, 0], [1.0, 1.0, 1.0], 1, relu: true)).ParamName);
        Assert.All(y.GetAsArray1D(), v => Assert.Equal(9, v));
        Assert.All(x.GetAsArray1D(), v => Assert.Equal(9f, v));
    }

    [Fact]
    public void Mismatched_lengths_and_layouts_are_rejected()
    {
        var device = TestDevices.Cpu;
        using var x = device.Accelerator.Allocate1D<float>(10);
        using var q = device.Accelerator.Allocate1D<sbyte>(9);
        using var q10 = device.Accelerator.Allocate1D<sbyte>(10);
        Assert.Equal("q", Assert.Throws<ArgumentException>(() => Quantizer.PerTensor(device, x.View, q.View, 1f)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Quantizer.PerChannel(device, x.View, q10.View, [1f, 1f, 1f], 1)).ParamName);
        using var acc = device.Accelerator.Allocate1D<int>(10);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() =>
            Requantizer.WithFloatMultiplier(device, acc.View, q10.View, [1, 2], [1f], 1, relu: false)).ParamName);
    }

    // 63 channels: multipliers (0.5 + 0.49·k/62)·2^e for e = -31..31 (every right and left shift), near-zero and near-one
    // values replacing a few, accumulators with the int32 extremes; rows × 63 elements, channel = column.
    private static void CheckFixedPointShifts(Int8Device device, int rows, bool relu)
    {
        const int channels = 63;
        var multiplier = Enumerable.Range(0, channels).Select(k => (0.5 + (0.49 * k / (channels - 1))) * Math.Pow(2, k - 31)).ToArray();
        multiplier[0] = Math.Pow(2, -32); // smallest multiplier that keeps M ≠ 0 (M = 2^30, e = -31)
        multiplier[1] = 1e-12;            // flushes to M = 0
        multiplier[30] = 1 - Math.Pow(2, -40);
        multiplier[31] = 1.0;
        multiplier[32] = 1 + Math.Pow(2, -30);
        var n = channels * rows;
        var acc = TestData.Int32(n, seed: rows, lo: -1 << 20, hi: 1 << 20);
        int[] edges = [int.MinValue, int.MinValue + 1, int.MaxValue, int.MaxValue - 1, 0, -1, 1, 127, -127, 1 << 30, -(1 << 30)];
        for (var i = 0; i < n; i++)
        {
            if ((i / channels) < edges.Length)
            {
                acc[i] = edges[i / channels];
            }
        }

        var bias = TestData.Int32(channels, seed: 5, lo: -100, hi: 100);
        bias[2] = int.MinValue;
        bias[60] = int.MaxValue;
        using var da = device.Accelerator.Allocate1D(acc);
        using var dy = device.Accelerator.Allocate1D<sbyte>(n);
        Requantizer.WithFixedPoint(device, da.View, dy.View, bias, multiplier, inner: 1, relu);
        Exact.Equal<sbyte>(
            QuantizationReference.RequantizeFixedPoint(acc, bias, multiplier, 1, relu), dy.GetAsArray1D(), $"fixed-point shifts rows={rows} relu={relu} on {device.Kind}");
    }

    private static void CheckQuantize(Int8Device device, int n, int channels, int inner)
    {
        var x = TestData.Float(n, seed: n + channels, range: 3f);
        float[] edges = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e30f, -1e30f];
        for (var i = 0; i < edges.Length && i < n; i++)
        {
            x[(i * 7) % n] = edges[i];
        }

        var scales = Enumerable.Range(0, channels).Select(c => 0.01f + (0.013f * c)).ToArray();
        using var dx = device.Accelerator.Allocate1D(x);
        using var dq = device.Accelerator.Allocate1D<sbyte>(n);
        if (channels == 1)
        {
            Quantizer.PerTensor(device, dx.View, dq.View, scales[0]);
        }
        else
        {
            Quantizer.PerChannel(device, dx.View, dq.View, scales, inner);
        }

        Exact.Equal<sbyte>(QuantizationReference.Quantize(x, scales, inner), dq.GetAsArray1D(), $"quantize n={n} channels={channels} inner={inner} on {device.Kind}");
    }

    private static void CheckDequantize(Int8Device device, int n, int channels, int inner)
    {
        var q = TestData.Int8(n, seed: n);
        var scales = Enumerable.Range(0, channels).Select(c => 0.02f + (0.007f * c)).ToArray();
        using var dq = device.Accelerator.Allocate1D(q);
        using var dx = device.Accelerator.Allocate1D<float>(n);
        if (channels == 1)
        {
            Dequantizer.PerTensor(device, dq.View, dx.View, scales[0]);
        }
        else
        {
            Dequantizer.PerChannel(device, dq.View, dx.View, scales, inner);
        }

        Exact.EqualBits(QuantizationReference.Dequantize(q, scales, inner), dx.GetAsArray1D(), $"dequantize n={n} channels={channels} on {device.Kind}");
    }

    private static void CheckRequantize(Int8Device device, int channels, int rows, bool relu, bool fixedPoint)
    {
        var n = channels * rows;
        var acc = TestData.Int32(n, seed: n, lo: -200_000, hi: 200_000);
        int[] edges = [int.MinValue, int.MinValue + 1, int.MaxValue, int.MaxValue - 1, 0, -1, 1];
        for (var i = 0; i < edges.Length && i < n; i++)
        {
            acc[i] = edges[i];
        }

        var bias = TestData.Int32(channels, seed: 7, lo: -5000, hi: 5000);
        if (channels > 1)
        {
            bias[1] = int.MaxValue;
        }

        double[] special = [1.0 / 1024, 0.999999, 1e-9, 3.5, 0.5];
        var multiplierD = Enumerable.Range(0, channels).Select(c => c < special.Length ? special[c] : 0.0005 + (0.0003 * c)).ToArray();
        var multiplierF = multiplierD.Select(m => (float)m).ToArray();
        using var da = device.Accelerator.Allocate1D(acc);
        using var dy = device.Accelerator.Allocate1D<sbyte>(n);
        sbyte[] expected;
        if (fixedPoint)
        {
            Requantizer.WithFixedPoint(device, da.View, dy.View, bias, multiplierD, inner: 1, relu);
            expected = QuantizationReference.RequantizeFixedPoint(acc, bias, multiplierD, 1, relu);
        }
        else
        {
            Requantizer.WithFloatMultiplier(device, da.View, dy.View, bias, multiplierF, inner: 1, relu);
            expected = QuantizationReference.RequantizeFloat(acc, bias, multiplierF, 1, relu);
        }

        Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"requantize {(fixedPoint ? "fixed" : "float")} channels={channels} rows={rows} relu={relu} on {device.Kind}");
    }
}
