using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// <see cref="ConvStemFold"/>: the folded convolution (space-to-depth input, folded weights, stride 1) gives the int32
/// sums of the original one, bit for bit, over random stems (padding edges, odd sizes, strides 1-4); the
/// <see cref="StemFold"/> kernel (three sources) equals <see cref="StemFoldReference"/>.
/// </summary>
public sealed class ConvStemFoldTests
{
    [Fact]
    public void Fold_kernel_has_no_integer_division()
    {
        // One thread a folded pixel on a (W2/128, H2, N) grid walking i, j, c: the index arithmetic has no div/rem
        // (the per-word kernel had ~11 a thread), for each of the three sources.
        foreach (var method in new[]
        {
            ((Action<ILGPU.ArrayView<int>, FoldArgs, S8NhwcSource>)StemFold.Kernel).Method,
            ((Action<ILGPU.ArrayView<int>, FoldArgs, F32NchwSource>)StemFold.Kernel).Method,
            ((Action<ILGPU.ArrayView<int>, FoldArgs, U8NhwcSource>)StemFold.Kernel).Method,
            ((Action<ILGPU.ArrayView<int>, FoldArgs, F32NchwHalfSource>)StemFold.Kernel).Method,
        })
        {
            var ptx = KernelPtx.Sm90(method);
            Assert.Contains(".entry", ptx, StringComparison.Ordinal);
            Assert.DoesNotContain(ptx.Split('\n'), l => l.TrimStart().StartsWith("div.", StringComparison.Ordinal) || l.TrimStart().StartsWith("rem.", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Folded_convolution_equals_the_original_on_random_stems()
    {
        var random = new Random(20261205);
        int folded = 0;
        for (var trial = 0; trial < 300; trial++)
        {
            int c = random.Next(1, 5), r = random.Next(1, 8), s = random.Next(1, 8), stride = random.Next(1, 5);
            int strideW = random.Next(2) == 0 ? stride : random.Next(1, 5);
            int h = random.Next(r, r + 17), w = random.Next(s, s + 17);
            var p = new ConvProblem(random.Next(1, 4), c, h, w, random.Next(1, 6), r, s, stride, strideW, random.Next(0, r), random.Next(0, s));
            if (p.P <= 0 || p.Q <= 0)
            {
                continue;
            }

            var fold = ConvStemFold.Plan(p);
            if (fold is null)
            {
                continue;
            }

            folded++;
            Assert.Equal(p.P, fold.Folded.P);
            Assert.Equal(p.Q, fold.Folded.Q);
            Assert.Equal(0, fold.Folded.C % ConvStemFold.ChannelAlignment);
            var x = TestData.Int8(p.N * c * h * w, trial);
            var krsc = TestData.Int8(p.K * r * s * c, trial + 1000);
            var expected = ConvolutionReference.Forward(x, TensorFormat.NHWC, krsc, p);
            var actual = ConvolutionReference.Forward(StemFoldReference.Forward(x, fold), TensorFormat.NHWC, fold.FoldWeights(krsc), fold.Folded);
            Exact.Equal<int>(expected, actual, $"fold of {p} ({fold.Folded})");
        }

        Assert.True(folded > 200, $"only {folded} of 300 stems folded");
    }

    [Fact]
    public void The_resnet_stem_folds_to_4x4_taps_of_16_channels_at_stride_1()
    {
        var fold = ConvStemFold.Plan(new ConvProblem(256, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3))!;
        Assert.Equal(new ConvProblem(256, 16, 113, 113, 64, 4, 4, 1, 1, 1, 1), fold.Folded);
        Assert.Equal((1, 1, 0, 0), (fold.OffsetH, fold.OffsetW, fold.LeadH, fold.LeadW));
        Assert.Equal(2, ConvMma.KTiles(fold.Folded));
        Assert.Null(ConvStemFold.Plan(new ConvProblem(1, 3, 9, 9, 4, 3, 3, DilationH: 2, DilationW: 2)));
        Assert.Null(ConvStemFold.Plan(new ConvProblem(1, 8, 9, 9, 4, 3, 3, 4, 4)));
    }

    // N, C, H, W, R, stride, pad.
    public static TheoryData<int, int, int, int, int, int, int> Shapes() => new()
    {
        { 1, 3, 11, 11, 7, 2, 3 },
        { 3, 3, 9, 12, 7, 2, 3 },  // odd batch, H ≠ W
        { 2, 1, 7, 5, 3, 2, 1 },
        { 1, 4, 10, 9, 5, 3, 0 },
        { 2, 2, 8, 8, 4, 4, 0 },   // a patch embedding: 32 data channels
        { 2, 3, 230, 226, 7, 2, 3 }, // the ResNet stem's geometry
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Kernel_equals_reference_from_every_source(int n, int c, int h, int w, int r, int stride, int pad)
    {
        var device = TestDevices.Cpu;
        var p = new ConvProblem(n, c, h, w, 8, r, r, stride, stride, pad, pad);
        var fold = ConvStemFold.Plan(p)!;
        var what = $"fold {p}";

        // int8 NHWC, with the edge values.
        var x = TestData.Int8(n * c * h * w, 7);
        TestData.Int8Edges.CopyTo(x, 0);
        var expected = StemFoldReference.Forward(x, fold);
        using var xs = device.Accelerator.Allocate1D(x);
        using var z = device.Accelerator.Allocate1D<sbyte>(fold.FoldedBytes);
        StemFold.FromS8Nhwc(device, xs.View, fold, z.View);
        Exact.Equal<sbyte>(expected, z.GetAsArray1D(), what + " from s8");

        // float NCHW quantized: the reference of the host quantize of the same values, NHWC.
        const float Scale = 0.0123f;
        var f = TestData.Float(n * c * h * w, 8, 2f);
        f[0] = 127.5f * Scale;
        f[1] = -200f * Scale;
        var q = new sbyte[f.Length];
        var inverse = QuantMath.Inverse(Scale);
        for (var i = 0; i < f.Length; i++)
        {
            int nn = i / (c * h * w), cc = i / (h * w) % c, hw = i % (h * w);
            q[(((long)nn * h * w) + hw) * c + cc] = (sbyte)QuantMath.QuantizeWithInverse(f[i], inverse);
        }

        using var fs = device.Accelerator.Allocate1D(f);
        StemFold.FromF32Nchw(device, fs.View, fold, z.View, Scale);
        Exact.Equal<sbyte>(StemFoldReference.Forward(q, fold), z.GetAsArray1D(), what + " from f32");

        // uint8 NHWC through a table [C][256].
        var u = TestData.Int8(n * c * h * w, 9).Select(v => (byte)v).ToArray();
        var table = TestData.Int8(256 * c, 10);
        var mapped = u.Select((v, i) => table[((i % c) * 256) + v]).ToArray();
        using var us = device.Accelerator.Allocate1D(u);
        using var ts = device.Accelerator.Allocate1D(table);
        StemFold.FromU8Nhwc(device, us.View, ts.View, fold, z.View);
        Exact.Equal<sbyte>(StemFoldReference.Forward(mapped, fold), z.GetAsArray1D(), what + " from u8");

        // float NCHW into FP16 (the FP16 stem's fused convert): the fold of the NHWC halves' bytes (2 byte channels a
        // channel), with signed zero, infinity, NaN and a value that rounds to the largest half among the inputs.
        // (Shapes whose byte channels do not fold are skipped.)
        if (ConvStemFold.Plan(p with { C = 2 * c }) is not { } halfFold)
        {
            return;
        }

        float[] edges = [-0f, float.PositiveInfinity, float.NaN, 65519f, 1e-8f];
        edges.CopyTo(f, 2);
        var halfBytes = new sbyte[2 * f.Length];
        for (var i = 0; i < f.Length; i++)
        {
            int nn = i / (c * h * w), cc = i / (h * w) % c, hw = i % (h * w);
            ushort half = HalfConvert.FromFloat(f[i]);
            long at = 2 * ((((long)nn * h * w) + hw) * c + cc);
            halfBytes[at] = (sbyte)(half & 0xFF);
            halfBytes[at + 1] = (sbyte)(half >> 8);
        }

        using var zh = device.Accelerator.Allocate1D<sbyte>(halfFold.FoldedBytes);
        fs.View.CopyFromCPU(f);
        StemFold.FromF32NchwHalves(device, fs.View, halfFold, zh.View);
        Exact.Equal<sbyte>(StemFoldReference.Forward(halfBytes, halfFold), zh.GetAsArray1D(), what + " from f32 into halves");
    }
}
