using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Cpu;

public sealed unsafe class CpuConvTests
{
    private static readonly ConvProblem[] Shapes =
    [
        new(1, 3, 7, 7, 5, 3, 3, PadH: 1, PadW: 1),
        new(2, 8, 6, 5, 16, 1, 1),
        new(3, 4, 9, 9, 17, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 6, 8, 8, 6, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2, Groups: 3),
        new(2, 33, 5, 4, 40, 2, 3, StrideH: 1, StrideW: 2, PadH: 0, PadW: 1),
        new(5, 300, 1, 1, 70, 1, 1),

        // The padded-copy im2col's cases: the Fashion CNN's layers (C = 1 and 16), a ResNet-like stem (7×7/2, C = 3),
        // a strided 1×1 (downsample), runs longer than one 32-byte vector (S·C = 60), odd sizes near the edges.
        new(2, 1, 28, 28, 16, 3, 3, PadH: 1, PadW: 1),
        new(3, 16, 14, 14, 32, 3, 3, PadH: 1, PadW: 1),
        new(2, 3, 21, 19, 64, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3),
        new(2, 24, 9, 7, 20, 1, 1, StrideH: 2, StrideW: 2),
        new(1, 20, 6, 7, 9, 3, 3, StrideH: 2, StrideW: 1, PadH: 2, PadW: 0),

        // The direct VNNI path's cases: runs of S·C bytes not a whole number of words (C = 2, 5), three column blocks
        // (a pair and a single), strides 2×3, more pixels than one chunk (tiles of 6 across output rows and images).
        new(2, 2, 11, 13, 24, 3, 3, PadH: 1, PadW: 1),
        new(1, 5, 10, 9, 8, 5, 3, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1),
        new(3, 1, 17, 23, 16, 3, 3, PadH: 1, PadW: 1),

        // One row (batch 1 of a fully connected layer: the VNNI one-row kernel): 4-block groups and single blocks,
        // an even and an odd number of K words.
        new(1, 1568, 1, 1, 64, 1, 1),
        new(1, 41, 1, 1, 43, 1, 1),
    ];

    public static TheoryData<CpuIsa, int> Cases()
    {
        var data = new TheoryData<CpuIsa, int>();
        foreach (var isa in Enum.GetValues<CpuIsa>())
        {
            for (var i = 0; i < Shapes.Length; i++)
            {
                data.Add(isa, i);
            }
        }

        return data;
    }

    private sealed class Capture(int stride, int rows) : ICpuInt8Sink
    {
        public int[] C { get; } = new int[rows * stride];

        public void Store(int* acc, int ldc, int m0, int count, int k0, int columns)
        {
            for (var r = 0; r < count; r++)
            {
                new Span<int>(acc + (r * ldc), columns).CopyTo(C.AsSpan(((m0 + r) * stride) + k0, columns));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Int8_accumulators_equal_the_reference_for_every_variant(CpuIsa isa, int shape)
    {
        Assert.SkipUnless(CpuIsaSupport.IsSupported(isa), $"{isa} is not supported here.");
        var p = Shapes[shape];
        var x = TestData.Int8(p.N * p.H * p.W * p.C, seed: shape + 1);
        var w = TestData.Int8(p.K * p.R * p.S * p.CPerGroup, seed: shape + 50, lo: -127);
        x[0] = -128;
        x[^1] = 127;
        var expected = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);

        // VNNI: the direct path (no im2col matrix, where it applies) and the im2col path, both against the reference.
        foreach (var direct in isa == CpuIsa.AvxVnni ? new[] { true, false } : [false])
        {
            var conv = new CpuConvS8(w, p with { N = 1 }, isa, direct);
            Assert.Equal(direct && CpuDirectConv.Applies(p, isa), conv.Direct);
            var sink = new Capture(p.K, p.N * p.P * p.Q);
            fixed (sbyte* xp = x)
            {
                conv.Forward(xp, p.N, sink);
            }

            Exact.Equal<int>(expected, sink.C, $"cpu conv {isa} direct {direct} {p}");
        }
    }

    [Fact]
    public void Requantize_epilogue_16_and_8_lanes_equal_quantmath_on_random_and_edge_accumulators()
    {
        // Rows of 53 columns (three 16-lane steps, one 8-lane step, a scalar tail): random sums, ties (m = 0.5, odd
        // sums → x.5), saturation both ways, a row whose sums overflow int32 in its second 16-lane step.
        const int columns = 53, rows = 64;
        var random = new Random(19);
        var acc = new int[rows * columns];
        var bias = new int[columns];
        var m = new float[columns];
        for (var j = 0; j < columns; j++)
        {
            bias[j] = random.Next(-5000, 5000);
            m[j] = j % 5 == 0 ? 0.5f : (float)Math.Pow(10, (random.NextDouble() * 6) - 6);
        }

        for (var i = 0; i < acc.Length; i++)
        {
            acc[i] = (i % 7) switch
            {
                0 => random.Next(-300, 300) | 1,
                1 => random.Next(int.MinValue / 2, int.MaxValue / 2),
                2 => i % 2 == 0 ? 127 * 2 : -254,
                _ => random.Next(-200_000, 200_000),
            };
        }

        acc[(5 * columns) + 20] = int.MaxValue;
        bias[20] = Math.Abs(bias[20]) + 1;
        foreach (var lo in new[] { -127, 0 })
        {
            foreach (var wide in new[] { true, false })
            {
                var y = new sbyte[acc.Length];
                fixed (int* a = acc)
                fixed (sbyte* yp = y)
                {
                    var sink = new CpuRequantizeSink(yp, columns, m, bias, lo, null, wide);
                    sink.Store(a, columns, 0, rows, 0, columns);
                }

                var expected = acc.Select((v, i) => (sbyte)QuantMath.Requantize(v, bias[i % columns], m[i % columns], lo)).ToArray();
                Exact.Equal<sbyte>(expected, y, $"requantize lo={lo} wide={wide}");
            }
        }
    }

    [Fact]
    public void Requantize_epilogue_equals_quantmath_at_the_edges()
    {
        int[] acc = [int.MaxValue, int.MinValue, 0, 1, -1, 1000, -1000, 123456, 2147483000, -2147483000, 5, 6, 7, 8, 9, 10];
        int[] bias = [1000, -1000, 0, 0, 0, 5, -5, 7, 1000, -1000, 0, 0, 0, 0, 0, 0];
        float[] m = [1e-9f, 1e-9f, 0.5f, 0.5f, 0.5f, 0.25f, 0.01f, 1e-3f, 1f, 1f, 0.5f, 1.5f, 2.5f, 1f / 3, 100f, 0f];
        var lut = Enumerable.Range(0, 256).Select(i => (sbyte)(127 - (i % 255))).ToArray();
        foreach (var lo in new[] { -127, 0 })
        {
            foreach (var table in new[] { null, lut })
            {
                var y = new sbyte[acc.Length];
                fixed (int* a = acc)
                fixed (sbyte* yp = y)
                {
                    new CpuRequantizeSink(yp, acc.Length, m, bias, lo, table).Store(a, acc.Length, 0, 1, 0, acc.Length);
                }

                var expected = acc.Select((v, k) =>
                {
                    var q = QuantMath.Requantize(v, bias[k], m[k], lo);
                    return table is null ? (sbyte)q : table[q + 128];
                }).ToArray();
                Exact.Equal<sbyte>(expected, y, $"requantize lo={lo} lut={table is not null}");
            }
        }
    }

    [Fact]
    public void Fp32_convolution_matches_the_reference()
    {
        foreach (var p in Shapes)
        {
            var x = TestData.Float(p.N * p.H * p.W * p.C, 3);
            var kcrs = TestData.Float(p.K * p.R * p.S * p.CPerGroup, 4, 0.3f);
            var w = WeightLayout.KcrsToKrsc<float>(kcrs, p.K, p.CPerGroup, p.R, p.S);
            var b = TestData.Float(p.K, 5);
            var y = new float[p.N * p.P * p.Q * p.K];
            var conv = new CpuConvF32(w, b, p with { N = 1 }, ActivationSpec.Relu);
            fixed (float* xp = x)
            fixed (float* yp = y)
            {
                conv.Forward(xp, p.N, yp);
            }

            var shape = new TensorShape(p.N, p.C, p.H, p.W);
            var xNchw = LayoutReference.NhwcToNchw<float>(x, shape);
            var expected = ConvolutionFloatReference.Forward(xNchw, kcrs, b, p, ActivationSpec.Relu);
            Close.Equal(LayoutReference.NchwToNhwc<float>(expected, new TensorShape(p.N, p.K, p.P, p.Q)), y, $"cpu fp32 conv {p}", 1e-4f, 1e-5f);
        }
    }
}
