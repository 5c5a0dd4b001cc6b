using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The TMA-fed wgmma convolution (<see cref="ConvWgmmaTma"/>: the copy engine's im2col boxes of 64 or 128 channels,
/// 64- or 128-byte swizzle) against the reference, bit-exact: on the CPU accelerator through the emulated copy engine
/// and wgmma (the im2col walk across rows and images, padding, strides, dilation, an odd count of 64-byte chunks), on
/// an sm_90 GPU across random shapes, ResNet layers, edge values and the epilogues.
/// </summary>
public sealed class ConvWgmmaTmaTests
{
    [Fact]
    public void Emulated_matches_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;

        // C = 64: two 64-byte chunks a stage, 9 taps = an odd chunk count; the tile walks across rows and 2 images.

        // C = 128 (128-byte chunks), stride 2 with padding, a 1×1 projection, dilation.
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaTma(128, allowCpuAccelerator: true), new ConvProblem(3, 128, 9, 8, 40, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), seed: 2, edges: false);
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaTma(64, allowCpuAccelerator: true), new ConvProblem(2, 192, 6, 6, 20, 1, 1, StrideH: 2, StrideW: 2), seed: 3, edges: false);
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaTma(64, allowCpuAccelerator: true), new ConvProblem(1, 64, 9, 9, 16, 3, 3, PadH: 2, PadW: 1, DilationH: 2, DilationW: 1), seed: 4, edges: false);
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaTma(64, allowCpuAccelerator: true), new ConvProblem(2, 64, 7, 9, 70, 3, 3, PadH: 1, PadW: 1), seed: 1, edges: true);
        ConvMmaTests.CheckRequantize(cpu, new ConvWgmmaTma(0, allowCpuAccelerator: true), new ConvProblem(1, 64, 5, 5, 6, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 9);
    }

    // The persistent form on 3 emulated blocks: 2 tiles a block (the ring's barrier phases run on across tiles, the next
    // tile's stages land during an epilogue), a block with no tile, both widths, K of 4.5 and 9 stages, requantize.
    [Fact]
    public void Emulated_persistent_matches_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaTma(64, allowCpuAccelerator: true, persistent: true), new ConvProblem(3, 64, 9, 10, 70, 3, 3, PadH: 1, PadW: 1), seed: 11, edges: true);
        ConvMmaTests.CheckInt32(cpu, new ConvWgmmaTma(128, allowCpuAccelerator: true, persistent: true), new ConvProblem(2, 128, 8, 9, 130, 3, 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1), seed: 12, edges: false);
        ConvMmaTests.CheckRequantize(cpu, new ConvWgmmaTma(0, allowCpuAccelerator: true, persistent: true), new ConvProblem(2, 64, 11, 12, 40, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 13);
        Assert.Equal("conv_s8_nhwc_wgmma_tma_persistent_128x64x128_s4", new ConvWgmmaTma(64, persistent: true).Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvWgmmaTma(256, persistent: true));
    }

    [Fact]
    public void Declines_what_the_copy_engine_cannot_read_and_explains()
    {
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 64, 5, 5, 8, 3, 3, PadH: 1, PadW: 1);
        Assert.Contains("9.0", new ConvWgmmaTma().CanImplement(cpu, p, TensorFormat.NHWC), StringComparison.Ordinal);
        var auto = new ConvWgmmaTma(0, allowCpuAccelerator: true);
        Assert.Null(auto.CanImplement(cpu, p, TensorFormat.NHWC));
        Assert.Contains("multiple of 64", auto.CanImplement(cpu, p with { C = 48 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("stride", auto.CanImplement(cpu, p with { StrideH = 9, H = 40 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Contains("16-byte", auto.CanImplement(cpu, p, TensorFormat.NHWC, inputOffset: 8), StringComparison.Ordinal);
        Assert.Equal(64, ConvWgmmaTma.ChunkBytes(p));
        Assert.Equal(128, ConvWgmmaTma.ChunkBytes(p with { C = 256 }));
        Assert.Equal(64, auto.Choose(new ConvProblem(32, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)).TileN);
        Assert.Equal(128, auto.Choose(new ConvProblem(32, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1)).TileN);
        Assert.Equal("conv_s8_nhwc_wgmma_tma_implicit_gemm_128x256x128_s4", new ConvWgmmaTma(256).Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvWgmmaTma(32));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        var random = new Random(1414);
        var tiles = new[] { new ConvWgmmaTma(64), new ConvWgmmaTma(128), new ConvWgmmaTma(256), new ConvWgmmaTma(64, persistent: true), new ConvWgmmaTma(128, persistent: true) };
        for (var t = 0; t < 60; t++)
        {
            ConvMmaTests.CheckInt32(device, tiles[t % tiles.Length], ConvWgmmaTests.RandomProblem(random, channelStep: 64, channelSteps: 4), seed: t, edges: t % 10 == 0);
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Layers_and_epilogues_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        ConvProblem[] layers =
        [
            new(2, 64, 20, 20, 64, 3, 3, PadH: 1, PadW: 1),
            new(4, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1),
            new(2, 64, 56, 56, 128, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
            new(2, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1),
            new(2, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1),
            new(2, 256, 14, 14, 64, 1, 1),
            new(2, 64, 56, 56, 128, 1, 1, StrideH: 2, StrideW: 2),
        ];
        foreach (var p in layers)
        {
            ConvMmaTests.CheckInt32(device, new ConvWgmmaTma(0), p, seed: p.K, edges: false);
            ConvMmaTests.CheckInt32(device, new ConvWgmmaTma(256), p, seed: p.C, edges: true);
        }

        foreach (var p in layers)
        {
            ConvMmaTests.CheckInt32(device, new ConvWgmmaTma(0, persistent: true), p, seed: p.K + 1, edges: false);
        }

        foreach (var tile in new[] { new ConvWgmmaTma(64), new ConvWgmmaTma(128), new ConvWgmmaTma(256), new ConvWgmmaTma(64, persistent: true), new ConvWgmmaTma(128, persistent: true) })
        {
            ConvMmaTests.CheckRequantize(device, tile, new ConvProblem(2, 64, 9, 11, 100, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 1);
            ConvMmaTests.CheckRequantize(device, tile, new ConvProblem(1, 128, 8, 8, 67, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), relu: false, seed: 2);
            ConvMmaTests.CheckDequantize(device, tile, new ConvProblem(3, 64, 10, 10, 33, 3, 3, PadH: 1, PadW: 1), seed: 3);
        }
    }
}
