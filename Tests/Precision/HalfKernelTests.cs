using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// The FP16 kernels on 2-byte halves against scalar references, bit for bit, on the CPU accelerator: element-wise (every
/// operation, ReLU / leaky ReLU / none, the paired 32-bit path and the one-half path, a broadcast operand, a view that
/// starts mid-word), pooling (max, both averages, padding, strides) and activations (every half) = the float kernel on
/// the widened values, rounded once. Operands include ±0, subnormals, ±65504 (sums overflow to ∞) and ±∞.
/// </summary>
public sealed class HalfKernelTests
{
    private static readonly ushort[] Edges = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x3C00, 0x3C01];

    [Theory]
    [InlineData(1000, 1000, 0)]
    [InlineData(999, 999, 0)]
    [InlineData(1000, 10, 0)]
    [InlineData(995, 5, 0)]
    [InlineData(998, 998, 1)]
    public void Element_wise_halves_equal_the_float_operation_rounded_once(int length, int bLength, int offset) =>
        ElementWiseCase(TestDevices.Cpu, length, bLength, offset);

    private static void ElementWiseCase(Int8Device device, int length, int bLength, int offset)
    {
        var random = new Random(length + bLength + offset);
        var a = Halves(length + offset, random);
        var b = Halves(bLength + offset, random);
        var accelerator = device.Accelerator;
        using var da = accelerator.Allocate1D(a);
        using var db = accelerator.Allocate1D(b);
        using var dy = accelerator.Allocate1D<ushort>(length + offset);
        foreach (var op in Enum.GetValues<ElementWiseOperation>())
        {
            foreach (var act in new[] { ActivationSpec.None, ActivationSpec.Relu, new ActivationSpec(ActivationKind.LeakyRelu, 0.1f) })
            {
                // offset 1: every view starts on the second half of a word, so the one-half kernel runs.
                ElementWise.Half(device, da.View.SubView(offset, length), db.View.SubView(offset, bLength), dy.View.SubView(offset, length), op, act);
                device.Synchronize();
                var y = dy.GetAsArray1D();
                for (var i = 0; i < length; i++)
                {
                    float x = HalfConvert.ToFloat(a[offset + i]), z = HalfConvert.ToFloat(b[offset + (i % bLength)]);
                    var e = HalfConvert.FromFloat(act.Apply(op switch
                    {
                        ElementWiseOperation.Sum => x + z,
                        ElementWiseOperation.Product => x * z,
                        _ => x > z ? x : z,
                    }));
                    // A NaN made by the arithmetic (∞ − ∞, 0 · ∞) has the platform's sign: x86 sets it, CUDA does not; any NaN is right.
                    bool bothNaN = IsNaN(e) && IsNaN(y[offset + i]);
                    Assert.True(bothNaN || e == y[offset + i], $"{op} {act.Kind} [{i}]: {y[offset + i]:X4}, expected {e:X4} ({x} op {z})");
                }
            }
        }
    }

    [Theory]
    [InlineData(PoolingMode.Max)]
    [InlineData(PoolingMode.AverageCountPadding)]
    [InlineData(PoolingMode.AverageExcludePadding)]
    public void Pooling_halves_equal_the_float_pooling_of_the_widened_values_rounded_once(PoolingMode mode) =>
        PoolingCase(TestDevices.Cpu, mode);

    private static void PoolingCase(Int8Device device, PoolingMode mode)
    {
        var problems = new[]
        {
            new PoolProblem(2, 5, 9, 7, 3, 3, 2, 2, 1, 1),
            new PoolProblem(1, 16, 8, 8, 2, 2, 2, 2),  // C a multiple of 8: the 8-channel vector kernel
            new PoolProblem(3, 3, 7, 7, 7, 7, 1, 1),
            new PoolProblem(2, 64, 11, 10, 3, 3, 2, 2, 1, 1), // the ResNet stem's 3×3/2 pad 1, vector kernel
            new PoolProblem(1, 24, 5, 6, 2, 3, 1, 2),
            new PoolProblem(2, 16, 11, 6, 5, 2, 2, 1, 2, 1, CeilMode: true), // 5 rows: two 3×3 blocks, the second clamped
        };
        var accelerator = device.Accelerator;
        foreach (var p in problems)
        {
            var random = new Random(p.C * 31);
            var x = Halves(p.N * p.H * p.W * p.C, random);
            long outputs = (long)p.N * p.P * p.Q * p.C;
            using var dx = accelerator.Allocate1D(x);
            using var dxf = accelerator.Allocate1D(HalfConvert.ToFloats(x));
            using var dy = accelerator.Allocate1D<ushort>(outputs);
            using var dyf = accelerator.Allocate1D<float>(outputs);
            Pooling.Half(device, dx.View, dy.View, p, mode);
            Pooling.Float(device, dxf.View, dyf.View, p, mode);
            device.Synchronize();
            var expected = HalfConvert.FromFloats(dyf.GetAsArray1D());
            Assert.Equal(expected, dy.GetAsArray1D());
        }
    }

    [Fact]
    public void Max_pooling_halves_keep_the_first_of_equal_zeros_and_skip_nan() => SignedZeroMaxCase(TestDevices.Cpu);

    // Windows of +0, −0, NaN and −1 only: the maximum is a zero whose sign is the first one met in the reference's
    // row-by-row order, so the blocked kernel must meet the taps in that order (and never let a NaN in).
    private static void SignedZeroMaxCase(Int8Device device)
    {
        ushort[] values = [0x0000, 0x8000, 0x7E00, 0xBC00];
        var random = new Random(77);
        foreach (var p in new[] { new PoolProblem(2, 16, 9, 9, 3, 3, 2, 2, 1, 1), new PoolProblem(1, 8, 10, 7, 5, 3, 1, 2, 2, 1) })
        {
            var x = Enumerable.Range(0, p.N * p.H * p.W * p.C).Select(_ => values[random.Next(values.Length)]).ToArray();
            long outputs = (long)p.N * p.P * p.Q * p.C;
            using var dx = device.Accelerator.Allocate1D(x);
            using var dxf = device.Accelerator.Allocate1D(HalfConvert.ToFloats(x));
            using var dy = device.Accelerator.Allocate1D<ushort>(outputs);
            using var dyf = device.Accelerator.Allocate1D<float>(outputs);
            Pooling.Half(device, dx.View, dy.View, p, PoolingMode.Max);
            Pooling.Float(device, dxf.View, dyf.View, p, PoolingMode.Max);
            device.Synchronize();
            var expected = HalfConvert.FromFloats(dyf.GetAsArray1D());
            Assert.Contains((ushort)0x8000, expected);
            Assert.Contains((ushort)0x0000, expected);
            Assert.Equal(expected, dy.GetAsArray1D());
        }
    }

    [Fact]
    public void Activations_on_every_half_equal_the_float_function_rounded_once() => ActivationCase(TestDevices.Cpu);

    private static void ActivationCase(Int8Device device)
    {
        var bits = Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();
        var accelerator = device.Accelerator;
        using var dx = accelerator.Allocate1D(bits);
        using var dxf = accelerator.Allocate1D(HalfConvert.ToFloats(bits));
        using var dy = accelerator.Allocate1D<ushort>(bits.Length);
        using var dyf = accelerator.Allocate1D<float>(bits.Length);
        var activations = new[]
        {
            ActivationSpec.Relu, new ActivationSpec(ActivationKind.LeakyRelu, 0.01f), new ActivationSpec(ActivationKind.Clip, 0f, 6f),
            new ActivationSpec(ActivationKind.Sigmoid), new ActivationSpec(ActivationKind.Tanh), new ActivationSpec(ActivationKind.HardSwish),
            new ActivationSpec(ActivationKind.Silu),
        };
        foreach (var act in activations)
        {
            Activation.Half(device, dx.View, dy.View, act);
            Activation.Float(device, dxf.View, dyf.View, act);
            device.Synchronize();
            var expected = HalfConvert.FromFloats(dyf.GetAsArray1D());
            var actual = dy.GetAsArray1D();
            for (var i = 0; i < bits.Length; i++)
            {
                // NaN inputs: any NaN out.
                Assert.True(expected[i] == actual[i] || (float.IsNaN(HalfConvert.ToFloat(expected[i])) && float.IsNaN(HalfConvert.ToFloat(actual[i]))), $"{act.Kind} of {bits[i]:X4}: {actual[i]:X4}, expected {expected[i]:X4}");
            }
        }
    }

    [Fact]
    public void Quantizing_halves_and_dequantizing_to_halves_equal_the_two_step_paths() => QuantizeCase(TestDevices.Cpu);

    private static unsafe void QuantizeCase(Int8Device device)
    {
        const float scale = 0.0371f;
        var bits = Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();
        var q = Enumerable.Range(-128, 256).Select(v => (sbyte)v).ToArray();
        var expectedQ = bits.Select(b => (sbyte)QuantMath.Quantize(HalfConvert.ToFloat(b), scale)).ToArray();
        var expectedH = q.Select(v => HalfConvert.FromFloat(QuantMath.Dequantize(v, scale))).ToArray();
        var accelerator = device.Accelerator;
        using var dh = accelerator.Allocate1D(bits);
        using var dq = accelerator.Allocate1D<sbyte>(bits.Length);
        using var dq8 = accelerator.Allocate1D(q);
        using var dh8 = accelerator.Allocate1D<ushort>(q.Length);
        HalfQuantize.Quantize(device, dh.View, dq.View, bits.Length, scale);
        HalfQuantize.Dequantize(device, dq8.View, dh8.View, q.Length, scale);
        device.Synchronize();
        Assert.Equal(expectedQ, dq.GetAsArray1D());
        Assert.Equal(expectedH, dh8.GetAsArray1D());

        var hostQ = new sbyte[bits.Length];
        var hostH = new ushort[q.Length];
        fixed (ushort* ph = bits, pyh = hostH)
        fixed (sbyte* pyq = hostQ, pq = q)
        {
            HostConvert.QuantizeHalf(ph, pyq, bits.Length, scale);
            HostConvert.DequantizeToHalf(pq, pyh, q.Length, scale);
        }

        Assert.Equal(expectedQ, hostQ);
        Assert.Equal(expectedH, hostH);
        Assert.Contains(expectedQ, v => v == 127);
        Assert.Contains(expectedQ, v => v == -127);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(33)]
    [InlineData(10)]
    public void Softmax_of_halves_equals_the_float_softmax_of_the_widened_values_rounded_once(int channels) =>
        SoftMaxCase(TestDevices.Cpu, channels);

    // Rows of C halves (a warp a row from 32 channels, a thread a row below; and along the middle axis of [3, C, 5]):
    // halves out = the float kernel on the widened values, packed; float-word out = the same values rounded in place.
    private static void SoftMaxCase(Int8Device device, int channels)
    {
        const int pixels = 15;
        var random = new Random(channels);
        var x = Halves(pixels * channels, random);
        for (var i = 0; i < x.Length; i++)
        {
            // Softmax rows: finite inputs (an infinity makes the row NaN in both paths, checked elsewhere).
            x[i] = (x[i] & 0x7C00) == 0x7C00 ? (ushort)0x3C00 : x[i];
        }

        var accelerator = device.Accelerator;
        using var dx = accelerator.Allocate1D(x);
        using var dxf = accelerator.Allocate1D(HalfConvert.ToFloats(x));
        using var dy = accelerator.Allocate1D<ushort>(x.Length);
        using var dyw = accelerator.Allocate1D<float>(x.Length);
        using var dyf = accelerator.Allocate1D<float>(x.Length);
        foreach (var strided in new[] { false, true })
        {
            if (strided)
            {
                SoftMaxStrided.Half(device, dx.View, dy.View, 3, channels, 5);
                SoftMaxStrided.Half(device, dx.View, dyw.View, 3, channels, 5);
                SoftMaxStrided.Float(device, dxf.View, dyf.View, 3, channels, 5);
            }
            else
            {
                SoftMax.Half(device, dx.View, dy.View, pixels, channels);
                SoftMax.Half(device, dx.View, dyw.View, pixels, channels);
                SoftMax.Float(device, dxf.View, dyf.View, pixels, channels);
            }

            device.Synchronize();
            int n = strided ? 3 * channels * 5 : x.Length;
            var expected = HalfConvert.FromFloats(dyf.GetAsArray1D().AsSpan(0, n));
            Assert.Equal(expected, dy.GetAsArray1D()[..n]);
            Assert.Equal(HalfConvert.ToFloats(expected), dyw.GetAsArray1D()[..n]);
            Assert.Contains(expected, h => h != 0);
        }
    }

    [Fact]
    public void Lrn_of_halves_equals_the_float_lrn_of_the_widened_values_rounded_once() => LrnCase(TestDevices.Cpu);

    // 9 pixels of 13 channels, windows of 5 and 2 (clipped at both ends), ONNX's defaults and a large alpha.
    private static void LrnCase(Int8Device device)
    {
        var x = Halves(9 * 13, new Random(13));
        var accelerator = device.Accelerator;
        using var dx = accelerator.Allocate1D(x);
        using var dxf = accelerator.Allocate1D(HalfConvert.ToFloats(x));
        using var dy = accelerator.Allocate1D<ushort>(x.Length);
        using var dyf = accelerator.Allocate1D<float>(x.Length);
        foreach (var (size, alpha, beta, k) in new[] { (5, 1e-4f, 0.75f, 1f), (2, 0.5f, 0.6f, 2f) })
        {
            Lrn.Half(device, dx.View, dy.View, 9, 13, size, alpha, beta, k);
            Lrn.Float(device, dxf.View, dyf.View, 9, 13, size, alpha, beta, k);
            device.Synchronize();
            var expected = HalfConvert.FromFloats(dyf.GetAsArray1D());
            var actual = dy.GetAsArray1D();
            for (var i = 0; i < x.Length; i++)
            {
                Assert.True(expected[i] == actual[i] || (float.IsNaN(HalfConvert.ToFloat(expected[i])) && float.IsNaN(HalfConvert.ToFloat(actual[i]))), $"LRN size {size} [{i}]: {actual[i]:X4}, expected {expected[i]:X4}");
            }
        }
    }

    [Fact]
    public void Half_kernels_compile_to_ptx_and_the_paired_one_moves_words()
    {
        // No GPU needed: ILGPU's PTX backend for sm_90 at O2, as on the device. The paired element-wise kernel loads
        // and stores 32-bit words (two halves), never single halves.
        using var context = Context.Create(b => Int8Device.Configure(b.Optimize(OptimizationLevel.O2)));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!);
        var names = new List<string>();
        foreach (var (name, method) in HalfStorageKernels.All())
        {
            var ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), KernelSpecialization.Empty)).PTXAssembly;
            Assert.Contains(".entry", ptx, StringComparison.Ordinal);
            names.Add(name);
            if (name == "eltwise_f16x2_sum_relu")
            {
                var lines = ptx.Split('\n');
                Assert.Equal(2, lines.Count(l => l.Contains("ld.global", StringComparison.Ordinal) && l.Contains("32", StringComparison.Ordinal)));
                Assert.Equal(1, lines.Count(l => l.Contains("st.global", StringComparison.Ordinal) && l.Contains("32", StringComparison.Ordinal)));
                Assert.DoesNotContain(lines, l => l.Contains("ld.global.u16", StringComparison.Ordinal) || l.Contains("st.global.b16", StringComparison.Ordinal) || l.Contains("st.global.u16", StringComparison.Ordinal));
            }
        }

        Assert.Equal(13, names.Count);
    }

    [Theory]
    [InlineData(3, 6, 8, TensorFormat.NCHW)]
    [InlineData(3, 5, 7, TensorFormat.NCHW)]
    [InlineData(5, 4, 4, TensorFormat.NCHW)]
    [InlineData(5, 4, 4, TensorFormat.NHWC)]
    public void The_input_conversion_to_halves_rounds_each_value_once(int c, int h, int w, TensorFormat from) =>
        InputConversionCase(TestDevices.Cpu, c, h, w, from);

    private static void InputConversionCase(Int8Device device, int c, int h, int w, TensorFormat from)
    {
        // RGB with H·W a multiple of 4: the four-pixel kernel; other shapes the permute kernel; NHWC → NHWC the pack.
        var shape = new TensorShape(2, c, h, w);
        var random = new Random(c * h * w);
        var x = Enumerable.Range(0, (int)shape.Elements).Select(i => i % 97 == 0 ? 65520f : (float)((random.NextDouble() * 8) - 4)).ToArray();
        var accelerator = device.Accelerator;
        using var dx = accelerator.Allocate1D(x);
        using var dy = accelerator.Allocate1D<ushort>(x.Length);
        Kernels.Ops.Convert.ToHalf(device, dx.View, from, dy.View, TensorFormat.NHWC, shape);
        device.Synchronize();
        var y = dy.GetAsArray1D();
        for (var n = 0; n < shape.N; n++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                for (var p = 0; p < h * w; p++)
                {
                    var source = from == TensorFormat.NCHW ? x[(((n * c) + ch) * h * w) + p] : x[(((n * h * w) + p) * c) + ch];
                    Assert.Equal(HalfConvert.FromFloat(source), y[(((n * h * w) + p) * c) + ch]);
                }
            }
        }

        Assert.Contains(y, v => v == 0x7C00);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Half_kernels_on_cuda_equal_their_references()
    {
        // The same cases on the GPU: the paired and one-half element-wise paths, every pooling mode, every half through
        // each activation and the int8 conversions, softmax rows (warp and thread), LRN, and each input-conversion kernel.
        var cuda = TestDevices.Cuda;
        ElementWiseCase(cuda, 100_000, 100_000, 0);
        ElementWiseCase(cuda, 99_996, 13, 0); // 13 · 7 692: an odd broadcast period
        ElementWiseCase(cuda, 998, 998, 1);
        foreach (var mode in Enum.GetValues<PoolingMode>())
        {
            PoolingCase(cuda, mode);
        }

        SignedZeroMaxCase(cuda);
        ActivationCase(cuda);
        QuantizeCase(cuda);
        SoftMaxCase(cuda, 1000);
        SoftMaxCase(cuda, 10);
        LrnCase(cuda);
        InputConversionCase(cuda, 3, 16, 16, TensorFormat.NCHW);
        InputConversionCase(cuda, 3, 5, 7, TensorFormat.NCHW);
        InputConversionCase(cuda, 5, 4, 4, TensorFormat.NHWC);
    }

    [Fact]
    public void Half_kernels_refuse_mismatched_lengths()
    {
        var accelerator = TestDevices.Cpu.Accelerator;
        using var a = accelerator.Allocate1D<ushort>(10);
        using var b = accelerator.Allocate1D<ushort>(3);
        var ex = Assert.Throws<ArgumentException>(() => ElementWise.Half(TestDevices.Cpu, a.View, b.View, a.View, ElementWiseOperation.Sum, ActivationSpec.None));
        Assert.Contains("whole multiple", ex.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => Pooling.Half(TestDevices.Cpu, b.View, a.View, new PoolProblem(1, 1, 4, 4, 2, 2, 2, 2), PoolingMode.Max));
    }

    // Random halves in ±8 (normal and subnormal), with every edge value among them.
    // A half NaN: exponent all ones, mantissa not zero.
    private static bool IsNaN(ushort h) => (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0;

    private static ushort[] Halves(int count, Random random)
    {
        var h = new ushort[count];
        for (var i = 0; i < count; i++)
        {
            h[i] = i % 37 < Edges.Length ? Edges[i % 37] : HalfConvert.FromFloat((float)((random.NextDouble() * 16) - 8) * (i % 5 == 0 ? 1e-5f : 1f));
        }

        return h;
    }
}
