using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// The fused classifier tail (<see cref="FullyConnectedSoftMax"/>) against the unfused definition computed on the host:
/// int32 dot products, the GEMM's requantize (+ table), and the int8 softmax reference (the lane order of the softmax
/// kernels), bit for bit, logits and probabilities; its row-group counters are left at zero, so a second launch gives the same bits.
/// </summary>
public sealed class FullyConnectedSoftMaxTests
{
    // (rows N, inputs C, outputs K): ResNet's 512 → 1000 at batch 1; N not a multiple of 8, C not of 16, K not of 64;
    // K < 32 (one thread a row in the softmax); C over 1 KiB (two chunks of x); the small CNN's 128 → 10; 8·K over the
    // 16 KiB shared copy (the softmax reads q from L2 where it lies).
    public static TheoryData<int, int, int> Shapes() => new() { { 1, 512, 1000 }, { 9, 37, 70 }, { 3, 10, 10 }, { 17, 1100, 33 }, { 8, 128, 10 }, { 3, 40, 2100 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_tail_equals_fc_then_softmax(int n, int c, int k) => Case(TestDevices.Cpu, n, c, k, seed: n + c + k, relu: false, table: false);

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void Fused_tail_applies_the_fcs_relu_or_table(bool relu, bool table) => Case(TestDevices.Cpu, 5, 96, 40, seed: 7, relu, table);

    [Fact]
    public void Edge_values_saturate_like_the_gemm_epilogue() => Case(TestDevices.Cpu, 4, 64, 48, seed: 3, relu: false, table: false, edges: true);

    [Fact]
    public void Bad_arguments_are_refused_before_launch()
    {
        var device = TestDevices.Cpu;
        using var x = OpTestDevice.Zeros<sbyte>(device, 10);
        using var w = OpTestDevice.Zeros<Int4>(device, 1);
        using var m = OpTestDevice.Zeros<float>(device, 1);
        using var b = OpTestDevice.Zeros<int>(device, 1);
        using var e = OpTestDevice.Zeros<float>(device, 256);
        using var q = OpTestDevice.Zeros<sbyte>(device, 10);
        using var counters = OpTestDevice.Zeros<int>(device, 1);
        using var y = OpTestDevice.Zeros<float>(device, 10);
        var rq = new FullyConnectedRequantize(m.View, b.View, -127, default);
        Assert.Throws<ArgumentOutOfRangeException>(() => FullyConnectedSoftMax.Int8(device, x.View, w.View, rq, e.View, q.View, counters.View, y.View, 0, 10, 1));
        Assert.Throws<ArgumentException>(() => FullyConnectedSoftMax.Int8(device, x.View, w.View, rq, e.View, q.View, counters.View, y.View, 2, 10, 1));
        Assert.Throws<ArgumentException>(() => FullyConnectedSoftMax.Int8(device, x.View, w.View, rq, e.View.SubView(0, 100), q.View, counters.View, y.View, 1, 10, 1));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Fused_tail_on_cuda_equals_fc_then_softmax()
    {
        var cuda = TestDevices.Cuda;
        foreach (var (n, c, k) in new[] { (1, 512, 1000), (9, 37, 70), (3, 10, 10), (17, 1100, 33), (3, 40, 2100), (256, 512, 1000), (64, 2048, 1000) })
        {
            Case(cuda, n, c, k, seed: n + c + k, relu: false, table: false);
        }

        Case(cuda, 5, 96, 40, seed: 7, relu: true, table: false);
        Case(cuda, 5, 96, 40, seed: 7, relu: false, table: true);
        Case(cuda, 4, 64, 48, seed: 3, relu: false, table: false, edges: true);
    }

    private static void Case(Int8Device device, int n, int c, int k, int seed, bool relu, bool table, bool edges = false)
    {
        var x = edges ? Repeat(TestData.Int8Edges, n * c) : TestData.Int8(n * c, seed);
        var w = edges ? Repeat([127, -128, -127], k * c) : TestData.Int8(k * c, seed + 1);
        var bias = TestData.Int32(k, seed + 2, -5000, 5000);

        // m[k] in the range a calibrated layer has: |acc| up to ~C·127² lands near the int8 range.
        var rng = new Random(seed + 3);
        var multiplier = Enumerable.Range(0, k).Select(_ => (float)(rng.NextDouble() * 4.0 / (c * 127.0))).ToArray();
        if (edges)
        {
            multiplier[0] = 1f; // saturates
        }

        int lo = relu ? 0 : -127;
        var lut = table ? Enumerable.Range(0, 256).Select(i => (sbyte)Math.Clamp((i - 128) / 2, -127, 127)).ToArray() : null;
        var exp = Int8LookupTable.SoftMaxExp(0.05f);

        // The unfused definition: int32 dot products (wrapping), requantize (+ table), then the int8 softmax reference.
        var q = new sbyte[n * k];
        for (var r = 0; r < n; r++)
        {
            for (var j = 0; j < k; j++)
            {
                int acc = 0;
                for (var i = 0; i < c; i++)
                {
                    acc = unchecked(acc + (x[(r * c) + i] * w[(j * c) + i]));
                }

                int t = QuantMath.Requantize(acc, bias[j], multiplier[j], lo);
                q[(r * k) + j] = lut is null ? (sbyte)t : lut[t + 128];
            }
        }

        var expected = NormalizationReference.SoftMaxInt8(q, exp, n, k, 1);

        using var dx = OpTestDevice.Upload(device, x);
        using var dw = OpTestDevice.Upload(device, FullyConnectedSoftMax.Pack(w, k, c));
        using var dm = OpTestDevice.Upload(device, multiplier);
        using var db = OpTestDevice.Upload(device, bias);
        using var dl = OpTestDevice.Upload(device, lut ?? new sbyte[256]);
        using var de = OpTestDevice.Upload(device, exp);
        using var dq = OpTestDevice.Zeros<sbyte>(device, n * k);
        using var counters = OpTestDevice.Zeros<int>(device, FullyConnectedSoftMax.Counters(n));
        using var dy = OpTestDevice.Zeros<float>(device, n * k);
        var rq = new FullyConnectedRequantize(dm.View, db.View, lo, lut is null ? default : dl.View);
        for (var launch = 0; launch < 2; launch++)
        {
            FullyConnectedSoftMax.Int8(device, dx.View, dw.View, rq, de.View, dq.View, counters.View, dy.View, n, c, k);
            var label = $"N={n} C={c} K={k} relu={relu} table={table} launch {launch} on {device.Accelerator.AcceleratorType}";
            Assert.True(q.AsSpan().SequenceEqual(OpTestDevice.Read(device, dq)), $"logits differ: {label}");
            var y = OpTestDevice.Read(device, dy);
            for (var i = 0; i < y.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]), $"y[{i}] = {y[i]:R}, expected {expected[i]:R}: {label}");
            }

            Assert.All(OpTestDevice.Read(device, counters), v => Assert.Equal(0, v));
        }
    }

    private static sbyte[] Repeat(sbyte[] values, int length) => [.. Enumerable.Range(0, length).Select(i => values[i % values.Length])];
}
