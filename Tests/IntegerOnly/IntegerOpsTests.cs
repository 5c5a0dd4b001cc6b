using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.IntegerOnly;

/// <summary>
/// The integer-only operators one by one: the ILGPU kernel (on the CPU accelerator), the CPU executor and the scalar
/// reference agree bit for bit on seeded random inputs and the int8 edges; the integer-built tables stay within one unit
/// of the float-built ones.
/// </summary>
public sealed class IntegerOpsTests
{
    public static TheoryData<float> Scales => [1e-4f, 0.003f, 0.02f, 0.1f, 0.5f, 2f, 40f];

    [Theory]
    [MemberData(nameof(Scales))]
    public void Integer_softmax_kernel_host_row_and_reference_agree(float scale)
    {
        foreach (var channels in new[] { 1, 3, 10, 37, 1000 })
        {
            const int Pixels = 6;
            var x = TestData.Int8(Pixels * channels, channels + 17);
            // Edges: a row of one value, a row of −128 with one 127, a row alternating the extremes.
            x.AsSpan(0, channels).Fill(-128);
            x.AsSpan(channels, channels).Fill(-128);
            x[channels + (channels / 2)] = 127;
            for (var c = 0; c < channels; c++)
            {
                x[(2 * channels) + c] = TestData.Int8Edges[c % TestData.Int8Edges.Length];
            }

            var exp = IntegerSoftMax.ExpTable(scale);
            var expected = IntegerOnlyReference.SoftMax(x, exp, Pixels, channels, 1);

            var host = new sbyte[x.Length];
            for (var p = 0; p < Pixels; p++)
            {
                IntegerSoftMax.Row(x.AsSpan(p * channels, channels), host.AsSpan(p * channels, channels), exp);
            }

            var device = TestDevices.Cpu;
            using var dx = device.Accelerator.Allocate1D(x);
            using var dy = device.Accelerator.Allocate1D<sbyte>(x.Length);
            using var de = device.Accelerator.Allocate1D(exp);
            IntegerSoftMax.Run(device, dx.View, dy.View, de.View, Pixels, channels);
            device.Synchronize();
            Exact.Equal<sbyte>(expected, host, $"host row, scale {scale}, C = {channels}");
            Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"kernel, scale {scale}, C = {channels}");

            // Against double: 127·p rounded, within one unit (the table's error is ~1e-8 of the largest term).
            for (var p = 0; p < Pixels; p++)
            {
                var row = x.AsSpan(p * channels, channels).ToArray();
                var max = row.Max(v => (int)v);
                var sum = row.Sum(v => Math.Exp((v - max) * (double)scale));
                for (var c = 0; c < channels; c++)
                {
                    var ideal = 127 * Math.Exp((row[c] - max) * (double)scale) / sum;
                    Assert.True(Math.Abs(expected[(p * channels) + c] - ideal) <= 0.5 + 1e-6, $"scale {scale}, C {channels}: {expected[(p * channels) + c]} vs {ideal}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Scales))]
    public void Integer_activation_tables_are_within_one_unit_of_the_float_tables(float inputScale)
    {
        var specs = new[]
        {
            ActivationSpec.None, ActivationSpec.Relu, new ActivationSpec(ActivationKind.LeakyRelu, 0.1f), new ActivationSpec(ActivationKind.LeakyRelu, -0.3f),
            new ActivationSpec(ActivationKind.Clip, -0.5f, 6f), new ActivationSpec(ActivationKind.Sigmoid), new ActivationSpec(ActivationKind.Tanh),
        };
        foreach (var spec in specs)
        {
            foreach (var outputScale in new[] { 1f / 127f, inputScale, 0.05f, 3f })
            {
                var integer = IntegerActivation.Table(spec, inputScale, outputScale);
                var floatBuilt = Int8LookupTable.ForActivation(spec, inputScale, outputScale);
                for (var i = 0; i < 256; i++)
                {
                    Assert.True(Math.Abs(integer[i] - floatBuilt[i]) <= 1, $"{spec} s_in {inputScale} s_out {outputScale} q {i - 128}: integer {integer[i]}, float {floatBuilt[i]}");
                }
            }
        }
    }

    [Fact]
    public void Fixed_point_requantize_epilogue_and_cpu_sink_agree_with_the_scalar_requantize()
    {
        // A 1×1 convolution [M = 40 pixels, C = 64] × [K = 12]: random int8 and the edges, multipliers from 1e-6 to 3,
        // biases up to ±2^30 (saturating sums), lo = −127 and 0, with and without a table.
        const int M = 40, C = 64, K = 12;
        var x = TestData.Int8(M * C, 5);
        x.AsSpan(0, C).Fill(127);
        x.AsSpan(C, C).Fill(-128);
        var w = TestData.Int8(K * C, 6);
        w.AsSpan(0, C).Fill(-128);
        var bias = TestData.Int32(K, 7, -1 << 30, 1 << 30);
        bias[1] = int.MaxValue;
        var multipliers = Enumerable.Range(0, K).Select(k => 1e-6 * Math.Pow(10, k * 6.5 / K)).ToArray();
        var channels = FixedPointChannel.Create(bias, multipliers);
        var lut = TestData.Int8(256, 8);
        var acc = new int[M * K];
        for (var m = 0; m < M; m++)
        {
            for (var k = 0; k < K; k++)
            {
                var s = 0;
                for (var c = 0; c < C; c++)
                {
                    s += x[(m * C) + c] * w[(k * C) + c];
                }

                acc[(m * K) + k] = s;
            }
        }

        var device = TestDevices.Cpu;
        var problem = new ConvProblem(M, C, 1, 1, K, 1, 1);
        using var packed = new PackedConvWeights(device, w, problem);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dc = device.Accelerator.Allocate1D(channels);
        using var dl = device.Accelerator.Allocate1D(lut);
        using var dy = device.Accelerator.Allocate1D<sbyte>(M * K);
        foreach (var (lo, withLut) in new[] { (-127, false), (0, false), (-127, true) })
        {
            var expected = new sbyte[M * K];
            for (var i = 0; i < expected.Length; i++)
            {
                var p = channels[i % K];
                var t = FixedPointMultiplier.Requantize(acc[i], p.Bias, p.Multiplier, p.LeftShift, p.RightShift, lo);
                expected[i] = withLut ? lut[t + 128] : (sbyte)t;
            }

            ConvS8.Forward(device, dx.View, TensorFormat.NHWC, packed, problem, new FixedPointRequantizeEpilogue(dy.View, K, dc.View, lo, dl.View, withLut ? 1 : 0));
            device.Synchronize();
            Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"epilogue lo {lo} lut {withLut}");

            var host = new sbyte[M * K];
            unsafe
            {
                fixed (int* a = acc)
                fixed (sbyte* y = host)
                {
                    new CpuRequantizeSink(y, K, channels, lo, withLut ? lut : null).Store(a, K, 0, M, 0, K);
                }
            }

            Exact.Equal<sbyte>(expected, host, $"cpu sink lo {lo} lut {withLut}");
        }
    }
}
