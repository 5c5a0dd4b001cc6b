using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The persistent wgmma convolution (resident weights, a ring of A stages across tiles) against the reference, bit-exact:
/// on the CPU accelerator through the emulated wgmma with a forced small grid, so that every block walks several tiles
/// (the cross-tile ring, the per-tile row refresh and the staging reuse are exercised); on an sm_90 GPU across random
/// shapes, the ResNet stem (folded 4×4×16) and 3×3 64-channel layers at real sizes, and every epilogue.
/// </summary>
public sealed class ConvWgmmaPersistentTests
{
    [Fact]
    public void Blocks_walking_several_tiles_match_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;
        // 400 pixels = 4 row tiles on one block; K = 144 = two k tiles, the second 16 bytes; 8 output channels of 64.
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaPersistent(64, ring: 6, allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 16, 20, 20, 8, 3, 3, PadH: 1, PadW: 1), seed: 1, edges: true);
        // Three column tiles (150 channels), two row tiles a block, K = 288 (three k tiles), the 3-stage ring.
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaPersistent(64, ring: 3, allowCpuAccelerator: true, blocksPerColumn: 1), new ConvProblem(1, 32, 13, 11, 150, 3, 3, PadH: 1, PadW: 1), seed: 2, edges: false);
    }

    [Fact]
    public void Stem_shape_with_every_epilogue_matches_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;
        // The folded ResNet stem's shape (4×4 over 16 channels, K = 256: two whole k tiles), 4 images of 11×11 = 4 row
        // tiles; stride 2 and padding on the 128-wide tile with a ring of 4.
        var stem = new ConvProblem(4, 16, 14, 14, 64, 4, 4);
        ConvMmaTests.CheckRequantize(cpu, new ConvWgmmaPersistent(64, ring: 4, allowCpuAccelerator: true, blocksPerColumn: 1), stem, relu: true, seed: 3);
        ConvMmaTests.CheckDequantize(cpu, new ConvWgmmaPersistent(128, ring: 4, allowCpuAccelerator: true, blocksPerColumn: 2), new ConvProblem(2, 16, 17, 17, 100, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), seed: 4);
    }

    [Fact]
    public void Declines_what_it_cannot_hold_and_names_its_shape()
    {
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 64, 8, 8, 64, 3, 3, PadH: 1, PadW: 1);
        Assert.Contains("9.0", new ConvWgmmaPersistent().CanImplement(cpu, p, TensorFormat.NHWC), StringComparison.Ordinal);
        var emulated = new ConvWgmmaPersistent(128, ring: 4, allowCpuAccelerator: true);
        Assert.Null(emulated.CanImplement(cpu, p, TensorFormat.NHWC));
        // 5 k tiles × 128 channels with a 6-deep ring and the staging tile: 250 880 bytes, over the 227 KB limit.
        Assert.Contains("shared memory", new ConvWgmmaPersistent(128, ring: 6, allowCpuAccelerator: true).CanImplement(cpu, p, TensorFormat.NHWC), StringComparison.Ordinal);
        // 3×3 over 512 channels: 36 k tiles of resident weights do not fit in shared memory.
        Assert.Contains("shared memory", emulated.CanImplement(cpu, p with { C = 512 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("multiple of 16", emulated.CanImplement(cpu, p with { C = 8 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("16-byte", emulated.CanImplement(cpu, p, TensorFormat.NHWC, inputOffset: 4), StringComparison.Ordinal);
        Assert.Equal("conv_s8_nhwc_wgmma_persistent_128x64_r6", new ConvWgmmaPersistent().Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvWgmmaPersistent(256));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvWgmmaPersistent(64, ring: 5));
        // The registry holds the engine's three, so tactic timing tries them.
        Assert.Equal("conv_s8_nhwc_wgmma_persistent_128x64_r3", ConvVariants.Get("conv_s8_nhwc_wgmma_persistent_128x64_r3").Name);
        // Shared memory: alignment + B + ring + staging; the stem's 2 k tiles with the 3-stage ring leave room for two blocks.
        Assert.Equal(1024 + (2 * 64 * 128) + (3 * 16384) + (128 * 72 * 4), new ConvWgmmaPersistent(64, ring: 3).SharedBytes(2));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        var random = new Random(1711);
        var variants = new[]
        {
            new ConvWgmmaPersistent(64, ring: 6), new ConvWgmmaPersistent(64, ring: 3), new ConvWgmmaPersistent(128, ring: 4),
            new ConvWgmmaPersistent(64, ring: 4, blocksPerColumn: 3), new ConvWgmmaPersistent(128, ring: 6, blocksPerColumn: 2),
        };
        var checkedCount = 0;
        for (var t = 0; t < 100; t++)
        {
            int r = random.Next(1, 4), s = random.Next(1, 4);
            int dh = random.Next(1, 3), dw = random.Next(1, 3);
            int h = random.Next((dh * (r - 1)) + 1, 30), w = random.Next((dw * (s - 1)) + 1, 30);
            var p = new ConvProblem(random.Next(1, 5), 16 * random.Next(1, 7), h, w, random.Next(1, 300), r, s,
                StrideH: random.Next(1, 3), StrideW: random.Next(1, 3), PadH: random.Next(0, 3), PadW: random.Next(0, 3), DilationH: dh, DilationW: dw);
            var variant = variants[t % variants.Length];
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
            new(8, 16, 113, 113, 64, 4, 4), // ResNet's folded stem
            new(8, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1), // layer1 3×3
            new(4, 256, 56, 56, 64, 1, 1), // ResNet-50 1×1 256→64
            new(4, 64, 28, 28, 128, 3, 3, PadH: 1, PadW: 1),
        ];
        foreach (var p in layers)
        {
            foreach (var variant in new[] { new ConvWgmmaPersistent(64, ring: 6), new ConvWgmmaPersistent(64, ring: 3), new ConvWgmmaPersistent(128, ring: 4) })
            {
                if (variant.CanImplement(device, p, TensorFormat.NHWC) is null)
                {
                    ConvMmaTests.CheckInt32(device, variant, p, seed: p.K + variant.Ring, edges: false);
                }
            }
        }

        foreach (var variant in new[] { new ConvWgmmaPersistent(64, ring: 6), new ConvWgmmaPersistent(64, ring: 3), new ConvWgmmaPersistent(128, ring: 4) })
        {
            ConvMmaTests.CheckRequantize(device, variant, new ConvProblem(2, 32, 19, 21, 100, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 1);
            ConvMmaTests.CheckRequantize(device, variant, new ConvProblem(3, 64, 18, 18, 67, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), relu: false, seed: 2);
            ConvMmaTests.CheckDequantize(device, variant, new ConvProblem(3, 16, 30, 30, 33, 3, 3, PadH: 1, PadW: 1), seed: 3);
        }
    }
}
