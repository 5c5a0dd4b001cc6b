using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The tensor-core implicit-GEMM convolution against <see cref="ConvolutionReference"/>, bit-exact: on the CPU accelerator
/// through the emulated instructions with the one-warp 64×64 tile (tiny shapes: each MMA is 32 shuffles and a dozen warp
/// barriers there), on CUDA across a few hundred random shapes per tile, ResNet-like layers and every epilogue.
/// </summary>
public sealed class ConvMmaTests
{
    // Batch 2 + stride 2 + padding (C = 16, two K stages); dilation (C = 32, three stages); M past one tile and K past
    // one column tile (1×1, C = 16, one stage); a 5×3 filter with unequal strides and padding (M not a tile multiple).
    private static readonly ConvProblem[] CpuProblems =
    [
        new(2, 16, 5, 5, 8, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 32, 6, 6, 12, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2),
        new(1, 16, 9, 8, 70, 1, 1),
        new(1, 16, 7, 6, 5, 3, 2, StrideH: 2, StrideW: 1, PadH: 2, PadW: 0),
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Emulated_64x64_matches_reference_on_cpu(int problem) =>
        CheckInt32(TestDevices.Cpu, new ConvMma64x64(allowCpuAccelerator: true), CpuProblems[problem], seed: problem, edges: problem == 0);

    [Fact]
    public void Emulated_requantize_epilogue_matches_reference_on_cpu() =>
        CheckRequantize(TestDevices.Cpu, new ConvMma64x64(allowCpuAccelerator: true), new ConvProblem(1, 16, 4, 4, 6, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 9);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Emulated_split_k_matches_reference_on_cpu(int splits)
    {
        // C = 48, 3×3: K = 432 bytes = 4 k tiles, split 2 + 2, 2 + 2 (3 asked: ⌈4/3⌉ = 2 a split) and 1 + 1 + 1 + 1.
        var tile = new ConvMma64x64(allowCpuAccelerator: true);
        var p = new ConvProblem(1, 48, 5, 4, 9, 3, 3, PadH: 1, PadW: 1);
        CheckInt32(TestDevices.Cpu, new ConvMmaSplitK(tile, splits), p, seed: 40 + splits, edges: splits == 2);
        CheckRequantize(TestDevices.Cpu, new ConvMmaSplitK(tile, splits), p with { K = 6 }, relu: splits == 3, seed: splits);
    }

    [Fact]
    public void K_splits_fill_about_one_wave_only_for_small_grids_with_long_k()
    {
        // ResNet-18 at batch 1 on 132 SMs: 512@7 (4 tiles of 128×128, 36 k tiles) → 9; 256@14 (2·2 = 4 tiles, 18) → 4;
        // 40 tiles → 4; a grid of half a wave or more, or under 8 k tiles, is never split.
        Assert.Equal(9, ConvMmaAuto.Splits(4, 36, 132));
        Assert.Equal(4, ConvMmaAuto.Splits(4, 18, 132));
        Assert.Equal(1, ConvMmaAuto.Splits(66, 36, 132));
        Assert.Equal(1, ConvMmaAuto.Splits(4, 7, 132));
        Assert.Equal(4, ConvMmaAuto.Splits(40, 36, 132));
        Assert.Equal(1, ConvMmaAuto.Splits(1, 36, 2));
    }

    [Fact]
    public void Registered_variants_refuse_what_they_cannot_run_and_the_cpu_selects_dp4a()
    {
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 16, 5, 5, 8, 3, 3, PadH: 1, PadW: 1);
        Assert.IsType<ConvMmaAuto>(ConvVariants.All[0]);
        foreach (var v in ConvVariants.All.Where(v => v is ConvMma or ConvMmaAuto or ConvMmaSplitK))
        {
            Assert.Contains("CUDA", v.CanImplement(cpu, p, TensorFormat.NHWC), StringComparison.Ordinal);
        }

        Assert.IsType<ConvDp4aImplicitGemm>(ConvVariants.Select(cpu, p, TensorFormat.NHWC));
        var emulated = new ConvMmaAuto(allowCpuAccelerator: true);
        Assert.Null(emulated.CanImplement(cpu, p, TensorFormat.NHWC));
        Assert.Contains("multiple of 16", emulated.CanImplement(cpu, p with { C = 8 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("groups", emulated.CanImplement(cpu, p with { Groups = 2 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("NHWC", emulated.CanImplement(cpu, p, TensorFormat.NCHW_VECT_C), StringComparison.Ordinal);
    }

    [Fact]
    public void Tile_choice_follows_the_output_channels()
    {
        var cpu = TestDevices.Cpu;
        var auto = new ConvMmaAuto(allowCpuAccelerator: true);
        // K = 64 never gets a half-empty 128-wide tile; wider layers take 128×128 (the fastest measured on each).
        Assert.IsType<ConvMma128x64S3>(auto.Choose(cpu, new ConvProblem(32, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)));
        Assert.IsType<ConvMma128x64S3>(auto.Choose(cpu, new ConvProblem(32, 256, 56, 56, 64, 1, 1)));
        Assert.IsType<ConvMma128x128S3>(auto.Choose(cpu, new ConvProblem(32, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1)));
        Assert.IsType<ConvMma128x128S3>(auto.Choose(cpu, new ConvProblem(32, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1)));
    }

    [Fact]
    public void Misaligned_input_is_rejected_by_name_and_skipped_by_selection()
    {
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 16, 3, 3, 4, 1, 1);
        using var weights = new PackedConvWeights(cpu, new sbyte[4 * 16], p);
        using var x = cpu.Accelerator.Allocate1D<sbyte>((3 * 3 * 16) + 16);
        using var y = cpu.Accelerator.Allocate1D<int>(3 * 3 * 4);
        var shifted = x.View.SubView(4, 3 * 3 * 16);
        var e = Assert.Throws<ArgumentException>(() => new ConvMma64x64(allowCpuAccelerator: true).Run(cpu, shifted, TensorFormat.NHWC, weights, p, new Int32Epilogue(y.View, 4)));
        Assert.Equal("x", e.ParamName);
        Assert.IsNotType<ConvMmaAuto>(ConvVariants.Select(cpu, p, TensorFormat.NHWC, inputOffset: 4));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        var random = new Random(4711);
        var tiles = ConvVariants.All.OfType<ConvMma>().ToArray();
        Assert.NotEmpty(tiles);
        for (var t = 0; t < 300; t++)
        {
            int r = random.Next(1, 4), s = random.Next(1, 4);
            int dh = random.Next(1, 3), dw = random.Next(1, 3);
            int h = random.Next((dh * (r - 1)) + 1, 14), w = random.Next((dw * (s - 1)) + 1, 14);
            var p = new ConvProblem(random.Next(1, 4), 16 * random.Next(1, 7), h, w, random.Next(1, 150), r, s,
                StrideH: random.Next(1, 3), StrideW: random.Next(1, 3), PadH: random.Next(0, 3), PadW: random.Next(0, 3), DilationH: dh, DilationW: dw);
            CheckInt32(device, tiles[t % tiles.Length], p, seed: t, edges: t % 10 == 0);
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Layers_and_epilogues_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        var auto = (ConvMmaAuto)ConvVariants.Get(ConvMmaAuto.VariantName);
        ConvProblem[] layers =
        [
            new(2, 64, 20, 20, 64, 3, 3, PadH: 1, PadW: 1),
            new(4, 64, 28, 28, 64, 3, 3, PadH: 1, PadW: 1),
            new(2, 128, 14, 14, 256, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
            new(2, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1),
            new(2, 256, 14, 14, 64, 1, 1),
            new(1, 48, 17, 13, 40, 5, 5, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1, DilationH: 2, DilationW: 1),
        ];
        foreach (var p in layers)
        {
            CheckInt32(device, auto, p, seed: p.K, edges: false);
            foreach (var tile in ConvVariants.All.OfType<ConvMma>())
            {
                CheckInt32(device, tile, p, seed: p.C, edges: true);
            }
        }

        foreach (var tile in ConvVariants.All.OfType<ConvMma>())
        {
            CheckRequantize(device, tile, new ConvProblem(2, 32, 9, 11, 100, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 1);
            CheckRequantize(device, tile, new ConvProblem(1, 64, 8, 8, 67, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), relu: false, seed: 2);
            CheckDequantize(device, tile, new ConvProblem(3, 16, 10, 10, 33, 3, 3, PadH: 1, PadW: 1), seed: 3);
        }

        // Split-K on every tile (uneven last splits, requantize through the finishing pass) and the automatic plan at
        // batch 1, where ResNet's late layers split.
        foreach (var tile in ConvVariants.All.OfType<ConvMma>())
        {
            foreach (var splits in new[] { 2, 3, 7 })
            {
                CheckInt32(device, new ConvMmaSplitK(tile, splits), new ConvProblem(1, 256, 7, 7, 200, 3, 3, PadH: 1, PadW: 1), seed: splits, edges: splits == 2);
                CheckRequantize(device, new ConvMmaSplitK(tile, splits), new ConvProblem(2, 96, 9, 9, 70, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), relu: splits == 3, seed: splits);
            }
        }

        var late = new ConvProblem(1, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1);
        Assert.True(auto.Plan(device, late).Splits > 1, "ResNet's 512@7 at batch 1 is not split");
        CheckInt32(device, auto, late, seed: 5, edges: true);
        CheckRequantize(device, auto, late, relu: true, seed: 6);

        // The operator selects the tensor-core variant for a C = 16 NHWC problem on sm_80+.
        var q = new ConvProblem(1, 16, 6, 6, 8, 3, 3, PadH: 1, PadW: 1);
        Assert.IsType<ConvMmaAuto>(ConvVariants.Select(device, q, TensorFormat.NHWC));
    }

    internal static (sbyte[] X, sbyte[] W) Operands(ConvProblem p, int seed, bool edges)
    {
        var x = TestData.Int8(p.N * p.H * p.W * p.C, seed);
        var w = TestData.Int8(p.K * p.R * p.S * p.C, seed + 100);
        if (edges)
        {
            // The extremes that make int32 accumulation wrap-free but large: all −128 activations against −128 weights.
            Array.Fill(x, (sbyte)-128, 0, Math.Min(x.Length, 3 * p.C));
            Array.Fill(w, (sbyte)-128, 0, Math.Min(w.Length, p.R * p.S * p.C));
        }

        return (x, w);
    }

    internal static void CheckInt32(Int8Device device, IConvVariant variant, ConvProblem p, int seed, bool edges)
    {
        var (x, w) = Operands(p, seed, edges);
        var expected = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<int>(expected.Length);
        dy.MemSet(0x5A);
        variant.Run(device, dx.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(dy.View, p.K));
        device.Synchronize();
        Exact.Equal<int>(expected, dy.GetAsArray1D(), $"{variant.Name} {p} seed {seed} on {device.Kind}");
    }

    internal static void CheckRequantize(Int8Device device, IConvVariant variant, ConvProblem p, bool relu, int seed)
    {
        var (x, w) = Operands(p, seed, edges: false);
        var acc = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        var bias = TestData.Int32(p.K, seed, -3000, 3000);
        var multiplier = Enumerable.Range(0, p.K).Select(i => 0.0005f + (0.0001f * (i % 17))).ToArray();
        var expected = QuantizationReference.RequantizeFloat(acc, bias, multiplier, 1, relu);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<sbyte>(acc.Length);
        using var dm = device.Accelerator.Allocate1D(multiplier);
        using var db = device.Accelerator.Allocate1D(bias);
        variant.Run(device, dx.View, TensorFormat.NHWC, weights, p, new RequantizeEpilogue(dy.View, p.K, dm.View, db.View, relu ? 0 : -127));
        device.Synchronize();
        Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"{variant.Name} requantize {p} relu={relu} on {device.Kind}");
    }

    internal static void CheckDequantize(Int8Device device, IConvVariant variant, ConvProblem p, int seed)
    {
        var (x, w) = Operands(p, seed, edges: false);
        var acc = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        var alpha = Enumerable.Range(0, p.K).Select(i => 0.001f * (i + 1)).ToArray();
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<float>(acc.Length);
        using var dalpha = device.Accelerator.Allocate1D(alpha);
        variant.Run(device, dx.View, TensorFormat.NHWC, weights, p, new DequantizeEpilogue(dy.View, p.K, dalpha.View, 0f));
        device.Synchronize();
        var actual = dy.GetAsArray1D();
        for (var i = 0; i < actual.Length; i++)
        {
            // beta = 0: y = alpha·f32(acc), one rounding of an exact product → bit-exact.
            float expected = alpha[i % p.K] * acc[i];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[i]), $"{variant.Name} dequantize {p} index {i}: {actual[i]} vs {expected}");
        }
    }
}
