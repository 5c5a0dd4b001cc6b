using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The persistent tensor-core convolution (<see cref="ConvMmaPersistent"/>) against <see cref="ConvolutionReference"/>,
/// bit-exact. On the CPU accelerator (emulated instructions) with a grid forced down to one or two blocks, so that each
/// block walks 3-4 tiles and the ring crosses tile boundaries (prologues spanning tiles when K has fewer k tiles than
/// stages in flight); M not a tile multiple, K tails, a second partial column tile, stride, padding, dilation, −128/127
/// extremes, every epilogue (int32, requantize ± ReLU, dequantize, residual) and the stem fold's shape.
/// </summary>
public sealed class ConvMmaPersistentTests
{
    // (problem, stages, grid): 3 tiles, K = 144 (2 k tiles, 16-byte tail) with 3 stages in flight: the prologue crosses
    // into the second tile; K = 100 output channels (two column tiles, the second partial), stride 2, dilation 2,
    // K = 288 (3 k tiles, 32-byte tail), 2 blocks each walking 3 row tiles; 1×1 over 16 channels (1 k tile: every
    // iteration starts a tile) with 3 stages, 4 tiles; a 5×3 filter with unequal strides and padding.
    private static readonly (ConvProblem Problem, int Stages, int Grid)[] CpuCases =
    [
        (new ConvProblem(2, 16, 12, 12, 64, 3, 3, PadH: 1, PadW: 1), 4, 1),
        (new ConvProblem(2, 32, 23, 21, 100, 3, 3, StrideH: 2, StrideW: 2, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2), 4, 2),
        (new ConvProblem(1, 16, 20, 20, 24, 1, 1), 3, 1),
        (new ConvProblem(1, 32, 47, 15, 40, 5, 3, StrideH: 2, StrideW: 1, PadH: 2, PadW: 0), 3, 1),
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Emulated_matches_reference_across_tiles_on_cpu(int index)
    {
        var (p, stages, grid) = CpuCases[index];
        var variant = Cpu(stages, grid);
        Assert.True(RowTiles(p) >= 3 * (grid / ((p.K + 63) / 64)), $"{p}: each block should walk at least 3 tiles");
        ConvMmaTests.CheckInt32(TestDevices.Cpu, variant, p, seed: 30 + index, edges: index == 0);
    }

    [Fact]
    public void Emulated_stem_fold_shape_matches_reference_on_cpu()
    {
        // The ResNet-18 stem's fold at a small image: 4×4 taps over 16 folded channels (K = 256, two k tiles), 64 outputs.
        var fold = ConvStemFold.Plan(new ConvProblem(2, 3, 32, 32, 64, 7, 7, 2, 2, 3, 3))!;
        Assert.Equal((4, 4, 16), (fold.Folded.R, fold.Folded.S, fold.Folded.C));
        ConvMmaTests.CheckInt32(TestDevices.Cpu, Cpu(4, 1), fold.Folded, seed: 7, edges: true);
    }

    [Fact]
    public void Emulated_extremes_match_reference_on_cpu()
    {
        // Every activation and weight at −128 or 127 (K = 576: |sums| up to 576·128² = 9.4e6) through 3 tiles of one block.
        var p = new ConvProblem(1, 64, 16, 18, 64, 3, 3, PadH: 1, PadW: 1);
        var x = Enumerable.Range(0, p.N * p.H * p.W * p.C).Select(i => (sbyte)((i * 7) % 3 == 0 ? 127 : -128)).ToArray();
        var w = Enumerable.Range(0, p.K * p.R * p.S * p.C).Select(i => (sbyte)(i % 5 == 0 ? 127 : -128)).ToArray();
        var expected = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        var device = TestDevices.Cpu;
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<int>(expected.Length);
        Cpu(3, 1).Run(device, dx.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(dy.View, p.K));
        device.Synchronize();
        Exact.Equal<int>(expected, dy.GetAsArray1D(), $"persistent extremes {p}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Emulated_requantize_matches_reference_on_cpu(bool relu)
    {
        // ReLU: K = 70 (two column tiles, 2 blocks of 3 row tiles); without: stride 2 × 1, 2 tiles, 3 stages.
        if (relu)
        {
            ConvMmaTests.CheckRequantize(TestDevices.Cpu, Cpu(4, 1), new ConvProblem(1, 16, 17, 16, 70, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 3);
        }
        else
        {
            ConvMmaTests.CheckRequantize(TestDevices.Cpu, Cpu(3, 1), new ConvProblem(2, 32, 9, 17, 64, 3, 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1), relu: false, seed: 4);
        }
    }

    [Fact]
    public void Emulated_dequantize_matches_reference_on_cpu() =>
        ConvMmaTests.CheckDequantize(TestDevices.Cpu, Cpu(4, 1), new ConvProblem(1, 16, 16, 17, 33, 1, 1), seed: 5);

    [Fact]
    public void Emulated_residual_matches_the_unfused_pair_on_cpu() =>
        // The fragment epilogue reads the skip itself (no shared-memory operand tile): K = 20 in a 32-wide row, 3 tiles.
        ResidualPrefetchTests.Check(TestDevices.Cpu, Cpu(4, 1), new ConvProblem(1, 16, 24, 12, 20, 3, 3, PadH: 1, PadW: 1), 32, relu: true, seed: 6, address: true);

    [Fact]
    public void Registered_by_name_not_preferred_and_limited_to_narrow_short_k()
    {
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 64, 8, 8, 64, 3, 3, PadH: 1, PadW: 1);
        foreach (var stages in new[] { 4, 3 })
        {
            var name = $"conv_s8_nhwc_mma_persistent_128x64x128_s{stages}";
            var registered = Assert.IsType<ConvMmaPersistent>(ConvVariants.Get(name));
            Assert.Equal(stages, registered.Stages);
            // After every mma.sync tile and split (the tactic timer times it; the rule never picks it).
            int at = ConvVariants.All.ToList().IndexOf(registered);
            Assert.True(at > ConvVariants.All.ToList().FindLastIndex(v => v is ConvMma or ConvMmaSplitK), name);
            Assert.Contains("CUDA", registered.CanImplement(cpu, p, TensorFormat.NHWC), StringComparison.Ordinal);
            // ILGPUINT8_CONV (or a name) forces it, and says why it cannot run here.
            var e = Assert.Throws<NotSupportedException>(() => ConvVariants.Select(cpu, p, TensorFormat.NHWC, name));
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
        }

        var emulated = Cpu(4, 0);
        Assert.Null(emulated.CanImplement(cpu, p, TensorFormat.NHWC));
        Assert.Null(emulated.CanImplement(cpu, p with { C = 128, K = 128 }, TensorFormat.NHWC));
        Assert.Contains("K ≤ 128", emulated.CanImplement(cpu, p with { K = 129 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("resident weight", emulated.CanImplement(cpu, p with { C = 176 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("multiple of 16", emulated.CanImplement(cpu, p with { C = 8 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("groups", emulated.CanImplement(cpu, p with { Groups = 2 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("NHWC", emulated.CanImplement(cpu, p, TensorFormat.NCHW_VECT_C), StringComparison.Ordinal);
        Assert.Contains("16-byte", emulated.CanImplement(cpu, p, TensorFormat.NHWC, inputOffset: 4), StringComparison.Ordinal);
    }

    [Fact]
    public void Grid_is_about_one_wave_and_a_multiple_of_the_column_tiles()
    {
        // H100 (sm_90, 228 KB a multiprocessor): layer1 3×3 64@56 (5 k tiles) with 4 stages = 65536 + 40960 + 1024 bytes
        // → 2 blocks; the stem fold (2 k tiles) with 3 stages = 49152 + 16384 + 1024 → 3; registers cap 64-thread blocks at 4.
        Assert.Equal(107520, new ConvMmaPersistent(4).SharedBytes(5));
        Assert.Equal(2, ConvMmaPersistent.BlocksPerMultiprocessor(9, 0, 107520));
        Assert.Equal(3, ConvMmaPersistent.BlocksPerMultiprocessor(9, 0, new ConvMmaPersistent(3).SharedBytes(2)));
        Assert.Equal(4, ConvMmaPersistent.BlocksPerMultiprocessor(9, 0, 20000));
        Assert.Equal(1, ConvMmaPersistent.BlocksPerMultiprocessor(8, 6, 107520));
        Assert.Equal(264, ConvMmaPersistent.Grid(25088, 1, 264));
        Assert.Equal(264, ConvMmaPersistent.Grid(3136, 2, 265));
        Assert.Equal(6, ConvMmaPersistent.Grid(3, 2, 264));
        Assert.Equal(2, ConvMmaPersistent.Grid(3, 2, 1));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        var random = new Random(8111);
        for (var t = 0; t < 240; t++)
        {
            int r = random.Next(1, 5), s = random.Next(1, 5);
            int dh = random.Next(1, 3), dw = random.Next(1, 3);
            int h = random.Next((dh * (r - 1)) + 1, 40), w = random.Next((dw * (s - 1)) + 1, 40);
            var p = new ConvProblem(random.Next(1, 5), 16 * random.Next(1, 9), h, w, random.Next(1, 129), r, s,
                StrideH: random.Next(1, 3), StrideW: random.Next(1, 3), PadH: random.Next(0, 3), PadW: random.Next(0, 3), DilationH: dh, DilationW: dw);
            // Half the cases on a forced small grid (many tiles a block), half on the one-wave grid.
            var variant = new ConvMmaPersistent(t % 2 == 0 ? 4 : 3) { GridOverride = t % 4 < 2 ? random.Next(1, 9) : null };
            if (variant.CanImplement(device, p, TensorFormat.NHWC) is null)
            {
                ConvMmaTests.CheckInt32(device, variant, p, seed: t, edges: t % 10 == 0);
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Layers_and_epilogues_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        ConvProblem[] layers =
        [
            ConvStemFold.Plan(new ConvProblem(2, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3))!.Folded, // ResNet-18 stem, folded
            new(2, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1),                                   // layer1 3×3
            new(2, 64, 56, 56, 128, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),          // layer2 first 3×3 (two column tiles)
            new(2, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1),                                 // layer2 3×3 (9 k tiles resident)
            new(2, 256, 56, 56, 64, 1, 1),                                                    // ResNet-50 1×1 256→64
            new(1, 48, 17, 13, 40, 5, 5, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1, DilationH: 2, DilationW: 1),
        ];
        foreach (var stages in new[] { 4, 3 })
        {
            foreach (var p in layers)
            {
                ConvMmaTests.CheckInt32(device, new ConvMmaPersistent(stages), p, seed: p.K + stages, edges: true);
                ConvMmaTests.CheckInt32(device, new ConvMmaPersistent(stages) { GridOverride = 7 }, p, seed: p.C, edges: false);
            }

            var v = new ConvMmaPersistent(stages);
            ConvMmaTests.CheckRequantize(device, v, new ConvProblem(2, 32, 9, 11, 100, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 1);
            ConvMmaTests.CheckRequantize(device, v, new ConvProblem(1, 64, 8, 8, 67, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), relu: false, seed: 2);
            ConvMmaTests.CheckDequantize(device, v, new ConvProblem(3, 16, 10, 10, 33, 3, 3, PadH: 1, PadW: 1), seed: 3);
            foreach (var (skipLd, relu) in new[] { (32, true), (80, false), (64, true) })
            {
                ResidualPrefetchTests.Check(device, v, new ConvProblem(2, 16, 30, 29, Math.Min(skipLd, 64) - 3, 3, 3, PadH: 1, PadW: 1), skipLd, relu, seed: skipLd, address: true);
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Resnet18_batch_256_shapes_equal_the_mma_sync_convolution_on_gpu()
    {
        // At the real sizes (no CPU reference: too slow), bit for bit against ConvMmaAuto's result of the same launch data.
        var device = TestDevices.Cuda;
        var auto = (ConvMmaAuto)ConvVariants.Get(ConvMmaAuto.VariantName);
        ConvProblem[] layers =
        [
            ConvStemFold.Plan(new ConvProblem(256, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3))!.Folded,
            new(256, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1),
        ];
        foreach (var p in layers)
        {
            var x = TestData.Int8(p.N * p.H * p.W * p.C, p.R);
            var w = TestData.Int8(p.K * p.R * p.S * p.C, p.R + 1);
            using var weights = new PackedConvWeights(device, w, p);
            using var dx = device.Accelerator.Allocate1D(x);
            using var expected = device.Accelerator.Allocate1D<int>((long)p.N * p.P * p.Q * p.K);
            using var actual = device.Accelerator.Allocate1D<int>(expected.Length);
            auto.Run(device, dx.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(expected.View, p.K));
            foreach (var stages in new[] { 4, 3 })
            {
                actual.MemSet(0x5A);
                new ConvMmaPersistent(stages).Run(device, dx.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(actual.View, p.K));
                device.Synchronize();
                Exact.Equal<int>(expected.GetAsArray1D(), actual.GetAsArray1D(), $"persistent s{stages} {p} vs {auto.Name}");
            }
        }
    }

    private static ConvMmaPersistent Cpu(int stages, int grid) =>
        new(stages, allowCpuAccelerator: true) { GridOverride = grid > 0 ? grid : null };

    private static int RowTiles(ConvProblem p) => ((p.N * p.P * p.Q) + 127) / 128;
}
