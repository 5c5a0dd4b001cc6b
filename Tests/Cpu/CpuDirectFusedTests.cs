using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Cpu;

/// <summary>The direct VNNI convolution with the requantize in registers (<see cref="CpuDirectFused"/>) against QuantMath on the reference accumulators.</summary>
public sealed unsafe class CpuDirectFusedTests
{
    private static readonly ConvProblem[] Shapes =
    [
        // 16 channels, ≤ 4 words: the Fashion CNN's conv1 (3 words), 2×2 over C = 2 (2 words), 1×7 over C = 2 (4 words),
        // 1×3 over C = 1 (1 word): each word count is its own compiled kernel (Small16<TWords>).
        new(3, 1, 28, 28, 16, 3, 3, PadH: 1, PadW: 1),
        new(2, 2, 9, 11, 16, 2, 2, StrideH: 2, StrideW: 1),
        new(1, 2, 5, 13, 16, 1, 7, PadW: 3),
        new(2, 1, 9, 10, 16, 1, 3, PadW: 1),

        // Multiples of 32 channels: the Fashion CNN's conv2, a strided layer over C = 5 (runs not whole words), 64 channels.
        new(3, 16, 14, 14, 32, 3, 3, PadH: 1, PadW: 1),
        new(2, 5, 13, 11, 64, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 3, 7, 23, 32, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3),

        // The ResNet-18 stem (7×7/2 over C = 3 → 64: 7 runs of 6 words), and the same at an odd size with 96 channels, N = 2.
        new(1, 3, 224, 224, 64, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3),
        new(2, 3, 15, 17, 96, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3),

        // Declined (16 channels over 9 words; 24 channels): the tile path with the sink.
        new(1, 3, 8, 8, 16, 3, 3, PadH: 1, PadW: 1),
        new(2, 4, 6, 6, 24, 3, 3, PadH: 1, PadW: 1),
    ];

    // Shapes before this index run fused; the rest decline.
    private const int Fusable = 9;

    public static TheoryData<int, int, bool> Cases()
    {
        var data = new TheoryData<int, int, bool>();
        for (var i = 0; i < Shapes.Length; i++)
        {
            foreach (var lo in new[] { -127, 0 })
            {
                data.Add(i, lo, false);
            }

            data.Add(i, 0, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_requantize_equals_quantmath_on_the_reference_accumulators(int shape, int lo, bool hugeBias)
    {
        Assert.SkipUnless(CpuIsaSupport.IsSupported(CpuIsa.AvxVnni), "AVX-VNNI is not supported here.");
        var p = Shapes[shape];
        var x = TestData.Int8(p.N * p.H * p.W * p.C, seed: shape + 3);
        var w = TestData.Int8(p.K * p.R * p.S * p.C, seed: shape + 70);
        x[0] = -128;
        x[^1] = 127;
        w[0] = -128;
        w[^1] = 127;
        var random = new Random(shape);
        var bias = new int[p.K];
        var m = new float[p.K];
        for (var k = 0; k < p.K; k++)
        {
            // Ties (m = 1/2 with odd sums), saturation both ways, a bias near int32's edge (the fused kernels decline).
            bias[k] = hugeBias && k == 1 ? int.MaxValue - 5 : random.Next(-20000, 20000);
            m[k] = k % 4 == 0 ? 0.5f : (float)Math.Pow(10, (random.NextDouble() * 5) - 5);
        }

        var acc = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        var expected = new sbyte[acc.Length];
        for (var i = 0; i < acc.Length; i++)
        {
            expected[i] = (sbyte)QuantMath.Requantize(acc[i], bias[i % p.K], m[i % p.K], lo);
        }

        foreach (var fused in new[] { true, false })
        {
            var conv = new CpuConvS8(w, p with { N = 1 }, CpuIsa.AvxVnni) { Fused = fused };
            Assert.True(conv.Direct);
            var y = new sbyte[acc.Length];
            fixed (sbyte* xp = x)
            fixed (sbyte* yp = y)
            {
                var sink = new CpuRequantizeSink(yp, p.K, m, bias, lo, null);
                Assert.Equal(fused && shape < Fusable && !hugeBias, conv.FusesWith(sink));
                conv.Forward(xp, p.N, sink);
            }

            Exact.Equal<sbyte>(expected, y, $"direct fused {fused} lo {lo} {p}");
        }

        // The 2×2 stride-2 max pool fused in (the sums' max requantized once) = the pool of the requantized output.
        var pooled = new CpuConvS8(w, p with { N = 1 }, CpuIsa.AvxVnni);
        int pp = p.P / 2, pq = p.Q / 2;
        var yPool = new sbyte[p.N * pp * pq * p.K];
        fixed (sbyte* xp = x)
        fixed (sbyte* yp = yPool)
        {
            var sink = new CpuRequantizeSink(yp, p.K, m, bias, lo, null);
            Assert.Equal(shape < Fusable && !hugeBias, pooled.FusesPoolWith(sink));
            if (!pooled.FusesPoolWith(sink))
            {
                return;
            }

            pooled.ForwardPooled(xp, p.N, sink);
        }

        var expectedPool = new sbyte[yPool.Length];
        for (var i = 0; i < expectedPool.Length; i++)
        {
            int k = i % p.K, pix = i / p.K, pw = pix % pq, ph = pix / pq % pp, n = pix / pq / pp;
            int at(int dy, int dx) => expected[(((((n * p.P) + (2 * ph) + dy) * p.Q) + (2 * pw) + dx) * p.K) + k];
            expectedPool[i] = (sbyte)Math.Max(Math.Max(at(0, 0), at(0, 1)), Math.Max(at(1, 0), at(1, 1)));
        }

        Exact.Equal<sbyte>(expectedPool, yPool, $"direct fused + 2x2 max pool lo {lo} {p}");
    }

    /// <summary>
    /// One convolution given sinks over different arrays in turn (the fused epilogue's checks and start values are
    /// kept per sink arrays): a bias near 2^31 declines, a normal one fuses, and each run equals QuantMath on the
    /// reference accumulators of its own sink.
    /// </summary>
    [Fact]
    public void Sinks_over_other_arrays_are_prepared_again()
    {
        Assert.SkipUnless(CpuIsaSupport.IsSupported(CpuIsa.AvxVnni), "AVX-VNNI is not supported here.");
        var p = Shapes[3];
        var x = TestData.Int8(p.N * p.H * p.W * p.C, seed: 11);
        var w = TestData.Int8(p.K * p.R * p.S * p.C, seed: 12);
        var acc = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        var conv = new CpuConvS8(w, p with { N = 1 }, CpuIsa.AvxVnni);
        var random = new Random(5);
        for (var run = 0; run < 4; run++)
        {
            bool huge = run % 2 == 0;
            var bias = Enumerable.Range(0, p.K).Select(k => huge && k == 3 ? int.MaxValue - 9 : random.Next(-5000, 5000)).ToArray();
            var m = Enumerable.Range(0, p.K).Select(_ => (float)Math.Pow(10, (random.NextDouble() * 4) - 5)).ToArray();
            var y = new sbyte[acc.Length];
            fixed (sbyte* xp = x)
            fixed (sbyte* yp = y)
            {
                var sink = new CpuRequantizeSink(yp, p.K, m, bias, 0, null);
                Assert.Equal(!huge, conv.FusesWith(sink));
                conv.Forward(xp, p.N, sink);
            }

            var expected = acc.Select((a, i) => (sbyte)QuantMath.Requantize(a, bias[i % p.K], m[i % p.K], 0)).ToArray();
            Exact.Equal<sbyte>(expected, y, $"run {run} (bias near 2^31: {huge})");
        }
    }
}
