using ILGPU.Runtime;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.IntegerOnly;

/// <summary>
/// The integer forms of LRN, average pooling, concatenation, scale, hard sigmoid, HardSwish and SiLU one by one: the
/// ILGPU kernels (CPU accelerator) equal the scalar references bit for bit on the int8 edges (−128 included), the Q31
/// rescale equals its int64 reference, and each integer result is within one unit of the same formula in double.
/// </summary>
public sealed class IntegerLayerOpsTests
{
    public static TheoryData<float> Scales => [1e-4f, 0.003f, 0.02f, 0.1f, 0.5f, 2f, 40f];

    [Fact]
    public void Q31_rescale_equals_its_int64_reference_at_the_edges()
    {
        int[] values = [int.MinValue, int.MinValue + 1, -1 << 20, -65536, -255, -128, -1, 0, 1, 127, 255, 65536, 1 << 24, int.MaxValue - 1, int.MaxValue];
        double[] ratios = [0, 1e-12, 2.3e-10, 1e-6, 0.0078125, 0.3, 0.5, 0.999999, 1, 1.5, 3.75, 1 << 20, 1.7e9];
        int[] biases = [0, 1, -1, 12345, int.MinValue, int.MaxValue];
        foreach (var ratio in ratios)
        {
            foreach (var bias in biases)
            {
                var c = IntegerRescale.Create(ratio, bias);
                foreach (var v in values)
                {
                    foreach (var lo in new[] { -127, 0 })
                    {
                        Assert.Equal(IntegerOnlyReference.Rescale(v, c, lo), IntegerRescale.Apply(v, c, lo));
                    }
                }

                // Against double, away from int32 saturation: within one unit (two roundings: SRDHM, then the shift).
                if (bias is > -100000 and < 100000)
                {
                    foreach (var v in values.Where(v => Math.Abs((long)v) < 1 << 24))
                    {
                        double exact = Math.Clamp((v + (double)bias) * ratio, -127, 127);
                        Assert.True(Math.Abs(IntegerRescale.Apply(v, c, -127) - exact) < 1.0, $"v {v}, bias {bias}, ratio {ratio}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Scales))]
    public void Hardswish_silu_and_hard_sigmoid_tables_are_within_one_unit_of_double(float scale)
    {
        foreach (var outScale in new[] { 0.004f, 0.03f, scale, 1f })
        {
            foreach (var kind in new[] { ActivationKind.HardSwish, ActivationKind.Silu })
            {
                var table = IntegerActivation.Table(new ActivationSpec(kind), scale, outScale);
                for (var q = -128; q <= 127; q++)
                {
                    double x = q * (double)scale;
                    double f = kind == ActivationKind.HardSwish ? x * Math.Clamp((x / 6) + 0.5, 0, 1) : x / (1 + Math.Exp(-x));
                    double exact = Math.Clamp(f / outScale, -127, 127);
                    Assert.True(Math.Abs(table[q + 128] - exact) <= 1.0, $"{kind} q {q}, s_in {scale}, s_out {outScale}: {table[q + 128]} vs {exact}");
                }
            }

            foreach (var (alpha, beta) in new[] { (0.2f, 0.5f), (-0.7f, 0.1f), (3f, -1.2f), (0f, 0.25f) })
            {
                var table = IntegerActivation.HardSigmoidTable(alpha, beta, scale, outScale);
                for (var q = -128; q <= 127; q++)
                {
                    double exact = Math.Clamp(Math.Clamp((alpha * (double)scale * q) + beta, 0, 1) / outScale, -127, 127);
                    Assert.True(Math.Abs(table[q + 128] - exact) <= 1.0, $"hard sigmoid ({alpha}, {beta}) q {q}: {table[q + 128]} vs {exact}");
                }
            }
        }
    }

    [Theory]
    [InlineData(5, 1e-4f, 0.75f, 1f)]
    [InlineData(5, 0.8f, 0.75f, 1f)]
    [InlineData(3, 2f, 0.5f, 2f)]
    [InlineData(1, 0.01f, 1f, 0.5f)]
    [InlineData(4, 0.3f, -0.5f, 1f)]
    [InlineData(7, 1e-3f, 0f, 1f)]
    public void Integer_lrn_kernel_equals_the_reference_and_double(int window, float alpha, float beta, float k)
    {
        foreach (var (sIn, sOut) in new[] { (0.01f, 0.01f), (0.05f, 0.02f), (0.3f, 0.004f), (2e-3f, 0.1f) })
        {
            const int Pixels = 5, C = 11;
            var x = TestData.Int8(Pixels * C, window + 3);
            x.AsSpan(0, C).Fill(-128);
            x.AsSpan(C, C).Fill(127);
            x.AsSpan(2 * C, C).Clear();
            for (var c = 0; c < C; c++)
            {
                x[(3 * C) + c] = TestData.Int8Edges[c % TestData.Int8Edges.Length];
            }

            var p = IntegerLrn.Create(window, alpha, beta, k, sIn, sOut);
            var expected = IntegerOnlyReference.Lrn(Nchw(x, Pixels, C), 1, C, Pixels, window, p);
            var device = TestDevices.Cpu;
            using var dx = device.Accelerator.Allocate1D(x);
            using var dy = device.Accelerator.Allocate1D<sbyte>(x.Length);
            IntegerLrn.Run(device, dx.View, dy.View, Pixels, C, p);
            device.Synchronize();
            Exact.Equal<sbyte>(Nhwc(expected, Pixels, C), dy.GetAsArray1D(), $"LRN kernel, window {window}, scales {sIn} → {sOut}");

            int before = (window - 1) / 2, after = window - 1 - before;
            for (var i = 0; i < Pixels; i++)
            {
                for (var c = 0; c < C; c++)
                {
                    double sum = 0;
                    for (var j = Math.Max(0, c - before); j <= Math.Min(C - 1, c + after); j++)
                    {
                        double v = x[(i * C) + j] * (double)sIn;
                        sum += v * v;
                    }

                    double exact = Math.Clamp(x[(i * C) + c] * (double)sIn / Math.Pow(k + (alpha / window * sum), beta) / sOut, -127, 127);
                    int got = dy.GetAsArray1D()[(i * C) + c];
                    Assert.True(Math.Abs(got - exact) <= 1.0, $"LRN pixel {i} c {c}: {got} vs {exact}");
                }
            }
        }
    }

    [Fact]
    public void Integer_scale_concat_and_average_pool_kernels_equal_the_references()
    {
        var device = TestDevices.Cpu;
        var x = TestData.Int8(4 * 9 * 6, 7);
        x.AsSpan(0, 6).Fill(-128);
        x.AsSpan(6, 6).Fill(127);

        // Scale per channel (6 coefficients, NHWC: j = i mod 6), negative, zero and large.
        float[] a = [1.5f, -0.25f, 0f, 40f, -3e-3f, 1f], b = [0.1f, -2f, 0.7f, 0f, 5f, -0.01f];
        var (factor, channels) = IntegerScale.Create(a, b, 6, 0.02f, 0.03f);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<sbyte>(x.Length);
        using var df = device.Accelerator.Allocate1D(factor);
        using var dc = device.Accelerator.Allocate1D(channels);
        IntegerScale.Run(device, dx.View, dy.View, df.View, dc.View);
        device.Synchronize();
        Exact.Equal<sbyte>(IntegerOnlyReference.Scale(x, factor, channels, i => i % 6), dy.GetAsArray1D(), "scale kernel");
        var scaled = dy.GetAsArray1D();
        for (var i = 0; i < x.Length; i++)
        {
            double exact = Math.Clamp(((x[i] * 0.02 * a[i % 6]) + b[i % 6]) / 0.03, -127, 127);
            Assert.True(Math.Abs(scaled[i] - exact) <= 1.0, $"scale {i}: {scaled[i]} vs {exact}");
        }

        // Concatenation into channels [2, 8) of 10 with a rescale; the others keep what was there.
        var rescale = IntegerRescale.Ratio(0.07f, 0.02f);
        using var dz = device.Accelerator.Allocate1D<sbyte>(36 * 10);
        dz.MemSetToZero();
        Concat.Int8FixedPoint(device, dx.View.SubView(0, 36 * 6), dz.View, 36, 6, 10, 2, rescale);
        device.Synchronize();
        var z = dz.GetAsArray1D();
        for (var i = 0; i < 36 * 10; i++)
        {
            int c = i % 10;
            int expected = c is >= 2 and < 8 ? IntegerOnlyReference.Rescale(x[((i / 10) * 6) + c - 2], rescale) : 0;
            Assert.Equal(expected, z[i]);
        }

        // Average pooling 3×3 stride 2 pad 1 of (N 4, 3×3, C 6), both divisor modes, vs the reference and double.
        foreach (var countPadding in new[] { true, false })
        {
            var problem = new PoolProblem(4, 6, 3, 3, 3, 3, 2, 2, 1, 1);
            var table = Pooling.AverageFixedPoint(0.02f, 0.015f, 9);
            using var dt = device.Accelerator.Allocate1D(table);
            using var dp = device.Accelerator.Allocate1D<sbyte>(4 * 2 * 2 * 6);
            Pooling.Int8AverageFixedPoint(device, dx.View, dp.View, dt.View, problem, countPadding);
            device.Synchronize();
            var mode = countPadding ? PoolingMode.AverageCountPadding : PoolingMode.AverageExcludePadding;
            var expected = PoolingReference.Int8Average(Nchw(x, 4 * 9, 6, 4), problem, mode, (sum, d) => IntegerOnlyReference.Rescale(sum, table[d]));
            Exact.Equal<sbyte>(Nhwc(expected, 4 * 4, 6, 4), dp.GetAsArray1D(), $"average pool kernel, count padding {countPadding}");
            var floatReference = PoolingReference.Int8Average(Nchw(x, 4 * 9, 6, 4), problem, mode, (sum, d) => (int)Math.Clamp(Math.Round(sum * 0.02 / (0.015 * d)), -127, 127));
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - floatReference[i]) <= 1, $"average pool {i}: {expected[i]} vs {floatReference[i]}");
            }
        }
    }

    // [n·pixels, C] (NHWC) → [n, C, pixels] (NCHW) for n items.
    private static sbyte[] Nchw(sbyte[] x, int pixels, int c, int n = 1)
    {
        int per = pixels / n;
        var y = new sbyte[x.Length];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < per; p++)
            {
                for (var j = 0; j < c; j++)
                {
                    y[(((b * c) + j) * per) + p] = x[(((b * per) + p) * c) + j];
                }
            }
        }

        return y;
    }

    // [n, C, pixels] (NCHW) → [n·pixels, C] (NHWC).
    private static sbyte[] Nhwc(sbyte[] x, int pixels, int c, int n = 1)
    {
        int per = pixels / n;
        var y = new sbyte[x.Length];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < per; p++)
            {
                for (var j = 0; j < c; j++)
                {
                    y[(((b * per) + p) * c) + j] = x[(((b * c) + j) * per) + p];
                }
            }
        }

        return y;
    }
}
