using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The floating-point implicit-GEMM convolutions (<see cref="ConvMmaFloat"/>, <see cref="ConvWgmmaFloat"/>) against
/// <see cref="FloatConvReference"/>: on the CPU accelerator through the emulated instructions bit for bit (the reference
/// sums in their order), with the one-warp 64×64 mma.sync tile; on CUDA bit-exact for small-integer operands (every
/// partial sum exact) and otherwise within the reference's tolerance plus one half rounding. Inputs with fixed seeds,
/// edge values (±0, ±65504, subnormals, ∞), ResNet layers and odd shapes (batch, H, W, K not multiples of a tile).
/// </summary>
public sealed class ConvFloatTests
{
    // Odd shapes: batch 2 + stride 2 + padding (C = 8: one 16-byte chunk a pixel, two k tiles); dilation 2 (C = 24);
    // 1×1 with M past one tile and K past one column tile; a 3×2 filter, unequal strides and padding, batch 3, K = 5.
    private static readonly ConvProblem[] OddProblems =
    [
        new(2, 8, 5, 5, 8, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 24, 6, 7, 12, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2),
        new(1, 16, 9, 8, 70, 1, 1),
        new(3, 8, 7, 6, 5, 3, 2, StrideH: 2, StrideW: 1, PadH: 2, PadW: 0),
    ];

    // ResNet layer geometries (channels, filter, stride, padding) on small images: the emulated tensor core costs about
    // 0.7 s a 64×64 tile and 128-byte k tile on the CPU, so 56×56 runs on the GPU only (Resnet_layers_match_reference_on_gpu).
    // layer1 3×3 64→64 stride 1; layer2.0 3×3 64→128 stride 2 and its 1×1 stride-2 shortcut; ResNet-50's 1×1 256→64.
    private static readonly ConvProblem[] ResNetProblems =
    [
        new(1, 64, 8, 8, 64, 3, 3, PadH: 1, PadW: 1),
        new(1, 64, 12, 12, 128, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 64, 12, 12, 128, 1, 1, StrideH: 2, StrideW: 2),
        new(1, 256, 7, 7, 64, 1, 1),
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Emulated_fp16_64x64_matches_reference_on_odd_shapes(int problem) =>
        Check(TestDevices.Cpu, Emulated64(FloatMmaInput.Fp16), OddProblems[problem], seed: problem, Kind.Random, halfOut: true, bias: problem != 1, relu: problem == 3);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Emulated_fp16_64x64_matches_reference_on_resnet_layers(int problem) =>
        Check(TestDevices.Cpu, Emulated64(FloatMmaInput.Fp16), ResNetProblems[problem], seed: 20 + problem, Kind.Random, halfOut: true, bias: problem != 3, relu: problem < 2);

    [Fact]
    public void Emulated_fp16_64x64_edge_values_bit_exact() =>
        Check(TestDevices.Cpu, Emulated64(FloatMmaInput.Fp16), new ConvProblem(2, 16, 4, 5, 9, 3, 3, PadH: 1, PadW: 1), seed: 11, Kind.Edges, halfOut: true, bias: true, relu: false);

    [Fact]
    public void Emulated_fp16_64x64_fp32_output() =>
        Check(TestDevices.Cpu, Emulated64(FloatMmaInput.Fp16), OddProblems[3], seed: 13, Kind.Random, halfOut: false, bias: true, relu: true);

    [Fact]
    public void Emulated_tf32_64x64_matches_reference_with_c_a_multiple_of_4() =>
        Check(TestDevices.Cpu, Emulated64(FloatMmaInput.Tf32), new ConvProblem(2, 4, 5, 6, 7, 3, 3, PadH: 1, PadW: 1), seed: 31, Kind.Random, halfOut: false, bias: true, relu: true);

    [Fact]
    public void Emulated_fp16_wgmma_matches_reference_on_cpu()
    {
        // K ≤ 64 → 128×64 with 4 stages (M past one 128-row tile, two k tiles).
        Check(TestDevices.Cpu, new ConvWgmmaFloat(allowCpuAccelerator: true), new ConvProblem(2, 8, 9, 9, 24, 3, 3, PadH: 1, PadW: 1), seed: 41, Kind.Random, halfOut: true, bias: true, relu: true);
    }

    [Fact]
    public void Emulated_fp16_wgmma_tma_matches_reference_on_cpu()
    {
        // C = 32 halves: 64-byte im2col boxes, 9 taps = an odd chunk count; C = 64 halves: 128-byte boxes, stride 2.
        Check(TestDevices.Cpu, new ConvWgmmaFloat(64, allowCpuAccelerator: true, tma: true), new ConvProblem(2, 32, 7, 9, 24, 3, 3, PadH: 1, PadW: 1), seed: 42, Kind.Random, halfOut: true, bias: true, relu: true);
        Check(TestDevices.Cpu, new ConvWgmmaFloat(128, allowCpuAccelerator: true, tma: true), new ConvProblem(2, 64, 8, 8, 70, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), seed: 43, Kind.Edges, halfOut: false, bias: false, relu: false);
        Assert.Contains("multiple of 64", new ConvWgmmaFloat(tma: true, allowCpuAccelerator: true).CanImplement(TestDevices.Cpu, new ConvProblem(1, 16, 4, 4, 8, 3, 3)), StringComparison.Ordinal);
        // Two 128×128 tiles are far from half a wave: the narrow tile (more blocks).
        Assert.Equal("conv_f16f16f32_nhwc_wgmma_tma_implicit_gemm_128x64x64_s8", new ConvWgmmaFloat(tma: true).Choose(new ConvProblem(1, 64, 4, 4, 65, 3, 3)).Name);
        Assert.Equal("conv_f16f16f32_nhwc_wgmma_tma_implicit_gemm_128x128x64_s6", new ConvWgmmaFloat(tma: true).Choose(new ConvProblem(64, 64, 16, 16, 65, 3, 3)).Name);
    }

    [Fact]
    public void The_reference_equals_a_direct_double_sum_within_its_tolerance()
    {
        // The ordered reference is itself checked against a plain 7-loop convolution summed in double.
        var p = new ConvProblem(2, 8, 6, 5, 7, 3, 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2, DilationH: 1, DilationW: 2);
        var x = Halves(p.N * p.H * p.W * p.C, 5, Kind.Random);
        var w = Halves(p.K * p.R * p.S * p.C, 6, Kind.Random);
        var acc = FloatConvReference.Fp16(x, w, p);
        var tol = FloatConvReference.Tolerance(HalfConvert.ToFloats(x), HalfConvert.ToFloats(w), p);
        float[] xf = HalfConvert.ToFloats(x), wf = HalfConvert.ToFloats(w);
        Assert.Contains(acc, v => v != 0f);
        for (int n = 0, i = 0; n < p.N; n++)
        {
            for (var oh = 0; oh < p.P; oh++)
            {
                for (var ow = 0; ow < p.Q; ow++)
                {
                    for (var k = 0; k < p.K; k++, i++)
                    {
                        double s = 0;
                        for (var r = 0; r < p.R; r++)
                        {
                            for (var t = 0; t < p.S; t++)
                            {
                                int h = (oh * p.StrideH) - p.PadH + (r * p.DilationH), col = (ow * p.StrideW) - p.PadW + (t * p.DilationW);
                                for (var c = 0; h >= 0 && h < p.H && col >= 0 && col < p.W && c < p.C; c++)
                                {
                                    s += (double)xf[(((((n * p.H) + h) * p.W) + col) * p.C) + c] * wf[(((((k * p.R) + r) * p.S) + t) * p.C) + c];
                                }
                            }
                        }

                        Assert.True(Math.Abs(acc[i] - s) <= tol[i], $"{p}: output {i} is {acc[i]}, the direct sum {s} ± {tol[i]}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Variants_explain_why_they_cannot_run()
    {
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 16, 5, 5, 8, 3, 3, PadH: 1, PadW: 1);
        foreach (var input in new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 })
        {
            foreach (var variant in ConvFloat.Variants(cpu, input))
            {
                Assert.Contains("CUDA", variant.CanImplement(cpu, p), StringComparison.Ordinal);
            }

            Assert.Throws<NotSupportedException>(() => ConvFloat.Select(cpu, input, p));
        }

        var f16 = Emulated64(FloatMmaInput.Fp16);
        Assert.Null(f16.CanImplement(cpu, p));
        Assert.Contains("multiple of 8", f16.CanImplement(cpu, p with { C = 12 }), StringComparison.Ordinal);
        Assert.Null(Emulated64(FloatMmaInput.Tf32).CanImplement(cpu, p with { C = 12 }));
        Assert.Contains("multiple of 4", Emulated64(FloatMmaInput.Tf32).CanImplement(cpu, p with { C = 6 }), StringComparison.Ordinal);
        Assert.Contains("groups", f16.CanImplement(cpu, p with { Groups = 2, K = 8 }), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvMmaFloat(FloatMmaInput.Fp16, 64, 128));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvMmaFloat(FloatMmaInput.Fp16, 64, 64, stages: 3));
        Assert.Equal("conv_f16f16f32_nhwc_mma_implicit_gemm_128x64x64_s3", new ConvMmaFloat(FloatMmaInput.Fp16).Choose(p).Name);
        Assert.Equal("conv_tf32tf32f32_nhwc_mma_implicit_gemm_128x128x32_s3", new ConvMmaFloat(FloatMmaInput.Tf32).Choose(p with { K = 65 }).Name);
        Assert.Equal("conv_f16f16f32_nhwc_wgmma_implicit_gemm_128x128x64_s3", new ConvWgmmaFloat().Choose(p with { K = 65 }).Name);

        // The copy engine's tile: the widest (≤ K) that still makes half a wave of tiles, as measured fastest on an H100.
        int TmaTile(int n, int c, int hw, int k) => new ConvWgmmaFloat(tma: true).Choose(new ConvProblem(n, c, hw, hw, k, 3, 3, PadH: 1, PadW: 1)).TileN;
        Assert.Equal(256, TmaTile(256, 256, 14, 256)); // r18 layer3: 392 tiles of 128×256
        Assert.Equal(256, TmaTile(256, 512, 7, 512));  // r18 layer4: 196
        Assert.Equal(128, TmaTile(256, 128, 28, 128)); // K = 128
        Assert.Equal(128, TmaTile(32, 256, 14, 256));  // r50 b32: 49 tiles of 128×256 are too few, 98 of 128×128 not
        Assert.Equal(64, TmaTile(32, 512, 7, 512));    // r50 b32 512@7: 26 / 52 / 104
        Assert.Equal(64, TmaTile(256, 64, 56, 64));    // K = 64
    }

    [Fact]
    public void Fp16_halo_tile_convolution_matches_reference_on_cpu()
    {
        Check(TestDevices.Cpu, new ConvWgmmaHaloFloat(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(2, 16, 7, 9, 24, 3, 3, PadH: 1, PadW: 1), seed: 44, Kind.Random, halfOut: true, bias: true, relu: true);
        Check(TestDevices.Cpu, new ConvWgmmaHaloFloat(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 32, 6, 10, 70, 2, 3, PadW: 1), seed: 45, Kind.Edges, halfOut: false, bias: false, relu: false);
        Assert.Contains("stride 1", new ConvWgmmaHaloFloat(allowCpuAccelerator: true).CanImplement(TestDevices.Cpu, new ConvProblem(1, 16, 8, 8, 8, 3, 3, StrideH: 2, StrideW: 2)), StringComparison.Ordinal);
        Assert.Contains("multiple of 32", new ConvWgmmaHaloFloat(allowCpuAccelerator: true).CanImplement(TestDevices.Cpu, new ConvProblem(1, 8, 8, 8, 8, 3, 3)), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Fp16_halo_tile_convolution_matches_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        var random = new Random(1717);
        for (var t = 0; t < 40; t++)
        {
            int r = random.Next(1, 5), s = random.Next(1, 5);
            var p = new ConvProblem(
                random.Next(1, 4), 16 * random.Next(1, 7), random.Next(r, 30), random.Next(s, 40), random.Next(1, 200), r, s,
                PadH: random.Next(0, r), PadW: random.Next(0, s));
            var variant = new ConvWgmmaHaloFloat(blocksPerColumn: t % 4 == 0 ? 2 : 0);
            if (variant.CanImplement(device, p) is null)
            {
                Check(device, variant, p, seed: t, t % 2 == 0 ? Kind.Integers : Kind.Random, halfOut: t % 3 == 0, bias: t % 4 != 1, relu: t % 5 == 0);
            }
        }

        // Layer1 and a 16-halves edge case; layer2's 128 channels (256 bytes a pixel) do not fit beside the weights.
        Assert.Contains("shared memory", new ConvWgmmaHaloFloat().CanImplement(device, new ConvProblem(4, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1)), StringComparison.Ordinal);
        foreach (var p in new ConvProblem[] { new(4, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1), new(2, 16, 4, 5, 9, 3, 3, PadH: 1, PadW: 1) })
        {
            Check(device, new ConvWgmmaHaloFloat(), p, seed: p.C, p.C == 16 ? Kind.Edges : Kind.Random, halfOut: true, bias: true, relu: true);
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        var random = new Random(1616);
        foreach (var variant in GpuVariants())
        {
            for (var t = 0; t < 12; t++)
            {
                int step = variant.Input == FloatMmaInput.Fp16 ? 8 : 4;
                int r = random.Next(1, 4), s = random.Next(1, 4);
                var p = new ConvProblem(
                    random.Next(1, 4), step * random.Next(1, 13), random.Next(r, 20), random.Next(s, 20), random.Next(1, 300), r, s,
                    StrideH: random.Next(1, 3), StrideW: random.Next(1, 3), PadH: random.Next(0, r), PadW: random.Next(0, s));
                if (variant is ConvWgmmaFloat { Tma: true })
                {
                    // The copy engine's boxes need C a multiple of 32 halves.
                    p = p with { C = 32 * ((p.C + 31) / 32) };
                }

                Check(device, variant, p, seed: t, t % 2 == 0 ? Kind.Integers : Kind.Random, halfOut: t % 3 == 0, bias: t % 4 != 1, relu: t % 5 == 0);
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Resnet_layers_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        ConvProblem[] layers =
        [
            new(4, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1),
            new(4, 64, 56, 56, 128, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
            new(4, 64, 56, 56, 128, 1, 1, StrideH: 2, StrideW: 2),
            new(4, 256, 14, 14, 256, 3, 3, PadH: 1, PadW: 1),
            new(4, 1024, 14, 14, 256, 1, 1),
            new(3, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1),
        ];
        foreach (var variant in GpuVariants().Where(v => v.Input == FloatMmaInput.Fp16))
        {
            foreach (var (p, i) in layers.Select((p, i) => (p, i)))
            {
                Check(device, variant, p, seed: 100 + i, i % 2 == 0 ? Kind.Integers : Kind.Random, halfOut: i % 2 == 1, bias: true, relu: i < 3);
            }

            Check(device, variant, new ConvProblem(2, variant is ConvWgmmaFloat { Tma: true } ? 32 : 16, 4, 5, 9, 3, 3, PadH: 1, PadW: 1), seed: 11, Kind.Edges, halfOut: true, bias: true, relu: false);
        }
    }

    private enum Kind
    {
        Random,
        Integers,
        Edges,
    }

    private static ConvMmaFloat Emulated64(FloatMmaInput input) => new(input, 64, 64, allowCpuAccelerator: true);

    // Every fixed tile and the automatic variants the device offers.
    private static IEnumerable<IFloatConvVariant> GpuVariants()
    {
        var device = TestDevices.Cuda;
        foreach (var input in new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 })
        {
            // The halo-tile kernel runs stride 1 only: its own facts above test it.
            foreach (var v in ConvFloat.Variants(device, input).Where(v => v is not ConvWgmmaHaloFloat))
            {
                yield return v;
            }

            foreach (var (m, n, s) in new[] { (128, 128, 4), (128, 128, 3), (128, 64, 4), (128, 64, 3), (64, 64, 4) })
            {
                yield return new ConvMmaFloat(input, m, n, s);
            }
        }

        if (GemmWgmmaTn.Supported(device))
        {
            foreach (var (n, s) in new[] { (64, 0), (64, 4), (128, 0), (128, 3), (256, 0) })
            {
                yield return new ConvWgmmaFloat(n, s);
            }

            foreach (var n in new[] { 64, 128, 256 })
            {
                yield return new ConvWgmmaFloat(n, tma: true);
            }
        }
    }

    private static void Check(Int8Device device, IFloatConvVariant variant, ConvProblem p, int seed, Kind kind, bool halfOut, bool bias, bool relu)
    {
        bool fp16 = variant.Input == FloatMmaInput.Fp16;
        int m = p.N * p.P * p.Q;
        var (xh, wh, xv, wv, acc) = Operands(p, seed, kind, fp16);
        Assert.True(acc.Any(v => v != 0f), "all-zero accumulators test nothing");
        float[]? biasValues = bias ? TestData.Float(p.K, seed + 3, kind == Kind.Integers ? 0f : 2f).Select(v => kind == Kind.Integers ? (float)Math.Round(v * 4) : v).ToArray() : null;
        var expected = FloatGemmReference.Finish(acc, p.K, biasValues, relu);

        using var dbias = biasValues is null ? null : device.Accelerator.Allocate1D(biasValues);
        ArrayView<float> biasView = dbias is null ? ArrayView<float>.Empty : dbias.View;
        using var dy = device.Accelerator.Allocate1D<float>((long)m * p.K);
        using var dh = device.Accelerator.Allocate1D<ushort>((long)m * p.K);
        using var dxh = fp16 ? device.Accelerator.Allocate1D(xh!) : null;
        using var dwh = fp16 ? device.Accelerator.Allocate1D(wh!) : null;
        using var dxf = fp16 ? null : device.Accelerator.Allocate1D(xv);
        using var dwf = fp16 ? null : device.Accelerator.Allocate1D(wv);
        ArrayView<sbyte> x = fp16 ? dxh!.View.AsContiguous().Cast<sbyte>() : dxf!.View.AsContiguous().Cast<sbyte>();
        ArrayView<sbyte> w = fp16 ? dwh!.View.AsContiguous().Cast<sbyte>() : dwf!.View.AsContiguous().Cast<sbyte>();
        if (halfOut)
        {
            variant.Run(device, x, w, p, new HalfOutEpilogue(dh.View, p.K, biasView, FloatEpilogue.Lo(relu)));
        }
        else
        {
            variant.Run(device, x, w, p, new FloatOutEpilogue(dy.View, p.K, biasView, FloatEpilogue.Lo(relu)));
        }

        device.Synchronize();
        float[] actual = halfOut ? HalfConvert.ToFloats(dh.GetAsArray1D()) : dy.GetAsArray1D();
        bool exact = !device.IsCuda || kind == Kind.Integers;
        float[] tol = exact ? [] : Tolerance(p, seed, kind, fp16, xv, wv);
        string what = $"{variant.Name} {p} seed {seed} {kind} halfOut={halfOut} bias={bias} relu={relu} on {device.Kind}";
        for (long i = 0; i < expected.Length; i++)
        {
            float want = halfOut ? HalfConvert.Round(expected[i]) : expected[i];
            string where = $"{what}: output {i} (pixel {i / p.K}, channel {i % p.K}) is {actual[i]}, expected {want}";
            if (exact)
            {
                Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(actual[i]) || (float.IsNaN(want) && float.IsNaN(actual[i])), where);
                continue;
            }

            // FP16 output: the FP32 tolerance plus one half rounding (2^-11 relative, 2^-25 absolute).
            float bound = tol[i] + (halfOut ? (Math.Abs(expected[i]) * (1f / 2048)) + 3e-8f : 0f);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound || (float.IsNaN(want) && float.IsNaN(actual[i])) || want == actual[i], $"{where} ± {bound}");
        }
    }

    // The operands and reference accumulators of a case, computed once per (problem, seed, kind, precision): the GPU tests
    // check a dozen variants against the same ResNet layers, and the scalar reference is the slow part there.
    private static readonly Dictionary<(ConvProblem, int, Kind, bool), (ushort[]?, ushort[]?, float[], float[], float[])> OperandCache = [];
    private static readonly Dictionary<(ConvProblem, int, Kind, bool), float[]> ToleranceCache = [];

    private static (ushort[]? Xh, ushort[]? Wh, float[] Xv, float[] Wv, float[] Acc) Operands(ConvProblem p, int seed, Kind kind, bool fp16)
    {
        lock (OperandCache)
        {
            if (OperandCache.TryGetValue((p, seed, kind, fp16), out var hit))
            {
                return hit;
            }

            long xCount = (long)p.N * p.H * p.W * p.C, wCount = (long)p.K * p.R * p.S * p.C;
            (ushort[]?, ushort[]?, float[], float[], float[]) made;
            if (fp16)
            {
                var xh = Halves(xCount, seed, kind);
                var wh = Halves(wCount, seed + 7, kind);
                made = (xh, wh, HalfConvert.ToFloats(xh), HalfConvert.ToFloats(wh), FloatConvReference.Fp16(xh, wh, p));
            }
            else
            {
                var xv = HalfConvert.ToFloats(Halves(xCount, seed, kind)).Select(v => v * 1.000123f).ToArray();
                var wv = HalfConvert.ToFloats(Halves(wCount, seed + 7, kind)).Select(v => v * 0.999877f).ToArray();
                made = (null, null, xv, wv, FloatConvReference.Tf32(xv, wv, p));
            }

            OperandCache[(p, seed, kind, fp16)] = made;
            return made;
        }
    }

    private static float[] Tolerance(ConvProblem p, int seed, Kind kind, bool fp16, float[] xv, float[] wv)
    {
        lock (ToleranceCache)
        {
            if (!ToleranceCache.TryGetValue((p, seed, kind, fp16), out var tol))
            {
                tol = FloatConvReference.Tolerance(fp16 ? xv : FloatGemmReference.RoundTf32(xv), fp16 ? wv : FloatGemmReference.RoundTf32(wv), p);
                ToleranceCache[(p, seed, kind, fp16)] = tol;
            }

            return tol;
        }
    }

    // Half bit patterns: uniform [-1, 1) rounded to half, small integers in [-4, 4] (exact FP32 partial sums), or the
    // random values with every ~7th replaced by an edge value (±0, ±65504, the smallest subnormal and normal, ±∞, 1 + 2^-10).
    private static ushort[] Halves(long count, int seed, Kind kind)
    {
        ushort[] edges = [0x0000, 0x8000, 0x7BFF, 0xFBFF, 0x0001, 0x8001, 0x0400, 0x7C00, 0xFC00, 0x3C01];
        var random = new Random(seed);
        var h = new ushort[count];
        for (long i = 0; i < count; i++)
        {
            h[i] = kind == Kind.Integers
                ? HalfConvert.FromFloat(random.Next(-4, 5))
                : kind == Kind.Edges && random.Next(7) == 0 ? edges[random.Next(edges.Length)] : HalfConvert.FromFloat((float)((random.NextDouble() * 2) - 1));
        }

        return h;
    }
}
