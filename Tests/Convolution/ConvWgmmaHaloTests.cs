using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The halo-tile wgmma convolution (every tap a shifted descriptor over one shared input tile) against the reference,
/// bit-exact: on the CPU accelerator through the emulated wgmma (which decodes the no-swizzle descriptors as the PTX ISA
/// defines them) with forced small grids so each block walks several tile pairs, over every tile shape (G = 1, 2, 4, 8),
/// padding on every side, odd channel counts and non-square filters; on an sm_90 GPU across random shapes, the ResNet
/// layers at real sizes and every epilogue.
/// </summary>
public sealed class ConvWgmmaHaloTests
{
    [Fact]
    public void Every_tile_shape_matches_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;
        // 10×9 output → G = 2 (4 rows × 16 columns, 3 tiles); one block walks both pairs; K = 8 of a 64-wide column.
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 32, 10, 9, 8, 3, 3, PadH: 1, PadW: 1), seed: 1, edges: true);
        // Two images of 7×7 (G = 1, one tile each), 70 channels = two columns, C = 64: two k steps a tap.
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(2, 64, 7, 7, 70, 3, 3, PadH: 1, PadW: 1), seed: 2, edges: false);
        // A 1×5 filter padded only across, no padding down: a wide, short output (G = 8: 1 row × 64 columns).
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 32, 2, 60, 8, 1, 5, PadW: 2), seed: 3, edges: false);
        // 2×2 without padding over three images of 5×40 (4×39 out: G = 2, 3 tiles an image, 9 tiles = 5 pairs, 2 blocks).
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 2), new ConvProblem(3, 32, 5, 40, 8, 2, 2), seed: 4, edges: false);
        // C = 96: six 16-byte chunks a pixel, not a power of two (the copy's reciprocal split, ChunkMagic, must hold for it).
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 96, 6, 20, 8, 3, 3, PadH: 1, PadW: 1), seed: 9, edges: true);
    }

    [Fact]
    public void Folded_stem_shape_of_16_channels_matches_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;
        // The folded ResNet stem's form (4×4 over 16 bytes, no padding, stride 1): taps paired along the row.
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(2, 16, 12, 11, 20, 4, 4), seed: 7, edges: true);
        ConvMmaTests.CheckRequantize(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 2), new ConvProblem(1, 16, 9, 20, 64, 2, 2, PadH: 1, PadW: 1), relu: true, seed: 8);
        Assert.Contains("even filter width", new ConvWgmmaHalo(allowCpuAccelerator: true).CanImplement(cpu, new ConvProblem(1, 16, 9, 9, 8, 3, 3), TensorFormat.NHWC), StringComparison.Ordinal);
    }

    [Fact]
    public void Epilogues_match_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;
        ConvMmaTests.CheckRequantize(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 32, 9, 9, 12, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 5);
        ConvMmaTests.CheckDequantize(cpu, new ConvWgmmaHalo(allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 32, 6, 11, 5, 3, 3, PadH: 2, PadW: 0), seed: 6);
    }

    [Fact]
    public void Chunk_reciprocal_divides_exactly()
    {
        // i / d = (i · ⌈2^32/d⌉) >> 32 for every d = C/16 up to 64 and every halo element i the kernel forms (and more).
        for (int d = 1; d <= 64; d++)
        {
            ulong magic = (ulong)ConvWgmmaHalo.ChunkMagic(d);
            for (uint i = 0; i < d * 8192u; i++)
            {
                Assert.Equal(i / (uint)d, (uint)((i * magic) >> 32));
            }
        }
    }

    [Fact]
    public void Picks_the_tile_shape_with_fewest_tiles_and_declines_what_it_cannot_run()
    {
        // 56×56: 8×8 tiles fit exactly (49); 28×28: 4×16 (14 tiles) beats 8×8 (16); 14×14 ties at 4 tiles, the smaller halo (8×8) wins.
        Assert.Equal(1, ConvWgmmaHalo.HaloShape.For(new ConvProblem(1, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)).Groups);
        Assert.Equal(2, ConvWgmmaHalo.HaloShape.For(new ConvProblem(1, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1)).Groups);
        Assert.Equal(1, ConvWgmmaHalo.HaloShape.For(new ConvProblem(1, 256, 14, 14, 256, 3, 3, PadH: 1, PadW: 1)).Groups);
        // 10 rows of 10 pixels, each row padded to 11 (odd: the core matrices' bank groups differ).
        Assert.Equal(110, new ConvWgmmaHalo.HaloShape(1).HaloPixels(new ConvProblem(1, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)));

        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(2, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1);
        Assert.Contains("9.0", new ConvWgmmaHalo().CanImplement(cpu, p, TensorFormat.NHWC), StringComparison.Ordinal);
        var emulated = new ConvWgmmaHalo(allowCpuAccelerator: true);
        Assert.Null(emulated.CanImplement(cpu, p, TensorFormat.NHWC));
        Assert.Contains("stride 1", emulated.CanImplement(cpu, p with { StrideH = 2, StrideW = 2 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("stride 1", emulated.CanImplement(cpu, p with { DilationH = 2 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("multiple of 32", emulated.CanImplement(cpu, p with { C = 48 }, TensorFormat.NHWC), StringComparison.Ordinal);
        // 3×3 over 512 channels: 295 KB of resident weights.
        Assert.Contains("shared memory", emulated.CanImplement(cpu, p with { C = 512 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("16-byte", emulated.CanImplement(cpu, p, TensorFormat.NHWC, inputOffset: 8), StringComparison.Ordinal);
        Assert.Equal("conv_s8_nhwc_wgmma_halo_64x64", ConvVariants.Get("conv_s8_nhwc_wgmma_halo_64x64").Name);
    }

    [Fact]
    public void Diagnostic_ablation_skips_exactly_the_step_it_names()
    {
        // Perf's --halo-ablate: without the epilogue (2) nothing is written; without the wgmma (1) the output is the
        // epilogue of zero accumulators.
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 32, 9, 9, 8, 3, 3, PadH: 1, PadW: 1);
        var (x, w) = ConvMmaTests.Operands(p, seed: 9, edges: false);
        using var weights = new PackedConvWeights(cpu, w, p);
        using var dx = cpu.Accelerator.Allocate1D(x);
        using var dy = cpu.Accelerator.Allocate1D<int>((long)p.N * p.P * p.Q * p.K);
        foreach (var (bits, expected) in new[] { (2, 0x5A5A5A5A), (1, 0) })
        {
            dy.MemSet(0x5A);
            new ConvWgmmaHalo(true, 1, bits).Run(cpu, dx.View, TensorFormat.NHWC, weights, p, new Int32Epilogue(dy.View, p.K));
            cpu.Synchronize();
            Assert.All(dy.GetAsArray1D(), v => Assert.Equal(expected, v));
        }
    }

    [Fact]
    public void No_swizzle_descriptor_addresses_core_matrices_as_the_isa_defines()
    {
        // Leading byte offset 2880 (the next 16 bytes of K), stride 160 (the next 8 rows), start 4096 + 48.
        long d = WgmmaDescriptor.NoSwizzle(4096 + 48, 2880, 160);
        Assert.Equal(0L, (long)((ulong)d >> 62));
        Assert.Equal(4096 + 48, WgmmaDescriptor.StartAddress(d));
        Assert.Equal(160, WgmmaDescriptor.StrideBytes(d));
        Assert.Equal(4096 + 48, WgmmaDescriptor.ElementAddress(d, 0, 0));
        Assert.Equal(4096 + 48 + 16 + 5, WgmmaDescriptor.ElementAddress(d, 1, 5));
        Assert.Equal(4096 + 48 + 160 + 2880 + 1, WgmmaDescriptor.ElementAddress(d, 8, 17));
        Assert.Equal(4096 + 48 + (7 * 160) + (7 * 16) + 2880 + 15, WgmmaDescriptor.ElementAddress(d, 63, 31));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        var random = new Random(2207);
        var checkedCount = 0;
        for (var t = 0; t < 100; t++)
        {
            // Every fifth problem has 16 channels (the folded stem's form), which needs an even filter width.
            int c = t % 5 == 0 ? 16 : 32 * random.Next(1, 5);
            int r = random.Next(1, 6), s = c == 16 ? 2 * random.Next(1, 3) : random.Next(1, 6);
            int h = random.Next(r, 24), w = random.Next(s, 40);
            var p = new ConvProblem(random.Next(1, 4), c, h, w, random.Next(1, 130), r, s, PadH: random.Next(0, r), PadW: random.Next(0, s));
            var variant = new ConvWgmmaHalo(blocksPerColumn: t % 3 == 0 ? random.Next(1, 4) : 0);
            if (variant.CanImplement(device, p, TensorFormat.NHWC) is not null)
            {
                continue;
            }

            ConvMmaTests.CheckInt32(device, variant, p, seed: t, edges: t % 10 == 0);
            checkedCount++;
        }

        Assert.True(checkedCount > 80, $"only {checkedCount} of 100 random problems ran");
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Resnet_layers_and_epilogues_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        ConvProblem[] layers =
        [
            new(8, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1), // ResNet layer1 3×3
            new(4, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1), // layer2
            new(4, 256, 14, 14, 256, 3, 3, PadH: 1, PadW: 1), // layer3
            new(8, 16, 115, 115, 64, 4, 4), // the folded stem
        ];
        var variant = new ConvWgmmaHalo();
        foreach (var p in layers)
        {
            if (variant.CanImplement(device, p, TensorFormat.NHWC) is null)
            {
                ConvMmaTests.CheckInt32(device, variant, p, seed: p.K, edges: false);
            }
        }

        ConvMmaTests.CheckRequantize(device, variant, new ConvProblem(2, 32, 19, 21, 100, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 1);
        ConvMmaTests.CheckRequantize(device, variant, new ConvProblem(3, 64, 18, 18, 67, 3, 3, PadH: 1, PadW: 1), relu: false, seed: 2);
        ConvMmaTests.CheckDequantize(device, variant, new ConvProblem(3, 64, 30, 30, 33, 3, 3, PadH: 1, PadW: 1), seed: 3);
    }
}
