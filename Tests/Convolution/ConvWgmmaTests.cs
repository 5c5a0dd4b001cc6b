using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The Hopper wgmma implicit-GEMM convolution against the reference (through <see cref="ConvMmaTests"/>' checks),
/// bit-exact: on the CPU accelerator through the emulated wgmma (small shapes), on an sm_90 GPU across random shapes
/// (strides, padding, dilation, odd channel counts), ResNet-like layers, edge values and every epilogue.
/// </summary>
public sealed class ConvWgmmaTests
{
    [Fact]
    public void Emulated_matches_reference_on_cpu()
    {
        var cpu = TestDevices.Cpu;
        // Stride 2 + padding + batch 2 (two K stages); dilation with 70 output channels (two 64-wide tiles, K tail).
        ConvMmaTests.CheckInt32(cpu, new ConvWgmma(64, allowCpuAccelerator: true), new ConvProblem(2, 16, 5, 5, 8, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), seed: 1, edges: true);
        ConvMmaTests.CheckInt32(cpu, new ConvWgmma(64, allowCpuAccelerator: true, stages: 4), new ConvProblem(1, 32, 6, 6, 70, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2), seed: 2, edges: false);
        ConvMmaTests.CheckRequantize(cpu, new ConvWgmma(0, allowCpuAccelerator: true), new ConvProblem(1, 16, 4, 4, 6, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 9);
    }

    [Fact]
    public void Declines_off_hopper_and_chooses_tiles_by_output_channels()
    {
        var cpu = TestDevices.Cpu;
        var p = new ConvProblem(1, 16, 5, 5, 8, 3, 3, PadH: 1, PadW: 1);
        Assert.Contains("9.0", new ConvWgmma().CanImplement(cpu, p, TensorFormat.NHWC), StringComparison.Ordinal);
        var auto = new ConvWgmma(0, allowCpuAccelerator: true);
        Assert.Null(auto.CanImplement(cpu, p, TensorFormat.NHWC));
        Assert.Contains("multiple of 16", auto.CanImplement(cpu, p with { C = 8 }, TensorFormat.NHWC), StringComparison.Ordinal);
        Assert.Equal(64, auto.Choose(new ConvProblem(32, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)).TileN);
        Assert.Equal(128, auto.Choose(new ConvProblem(32, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1)).TileN);
        Assert.Equal(ConvWgmma.AutoName, auto.Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvWgmma(32));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvWgmma(256, stages: 3));
        Assert.Equal("conv_s8_nhwc_wgmma_implicit_gemm_128x128x128_s3", new ConvWgmma(128, stages: 3).Name);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        var random = new Random(1313);
        var tiles = new[] { new ConvWgmma(64), new ConvWgmma(128), new ConvWgmma(256), new ConvWgmma(64, stages: 4), new ConvWgmma(128, stages: 3) };
        for (var t = 0; t < 120; t++)
        {
            ConvMmaTests.CheckInt32(device, tiles[t % tiles.Length], RandomProblem(random, channelStep: 16, channelSteps: 6), seed: t, edges: t % 10 == 0);
        }
    }

    /// <summary>
    /// A random small convolution for the GPU fuzz tests: 1-3 images, C a multiple of <paramref name="channelStep"/> up to
    /// <paramref name="channelSteps"/> of them, 1-299 output channels, 1-3 taps each way, strides 1-2, padding 0-2,
    /// dilation 1-2, the input at least as large as the dilated filter and under 14 a side.
    /// </summary>
    internal static ConvProblem RandomProblem(Random random, int channelStep, int channelSteps)
    {
        int r = random.Next(1, 4), s = random.Next(1, 4);
        int dh = random.Next(1, 3), dw = random.Next(1, 3);
        int h = random.Next((dh * (r - 1)) + 1, 14), w = random.Next((dw * (s - 1)) + 1, 14);
        return new ConvProblem(random.Next(1, 4), channelStep * random.Next(1, channelSteps + 1), h, w, random.Next(1, 300), r, s,
            StrideH: random.Next(1, 3), StrideW: random.Next(1, 3), PadH: random.Next(0, 3), PadW: random.Next(0, 3), DilationH: dh, DilationW: dw);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Layers_and_epilogues_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        var auto = ConvVariants.Get(ConvWgmma.AutoName);
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
            ConvMmaTests.CheckInt32(device, auto, p, seed: p.K, edges: false);
            ConvMmaTests.CheckInt32(device, new ConvWgmma(256), p, seed: p.C, edges: true);
        }

        foreach (var tile in new[] { new ConvWgmma(64), new ConvWgmma(128), new ConvWgmma(256), new ConvWgmma(64, stages: 4), new ConvWgmma(128, stages: 3) })
        {
            ConvMmaTests.CheckRequantize(device, tile, new ConvProblem(2, 32, 9, 11, 100, 3, 3, PadH: 1, PadW: 1), relu: true, seed: 1);
            ConvMmaTests.CheckRequantize(device, tile, new ConvProblem(1, 64, 8, 8, 67, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), relu: false, seed: 2);
            ConvMmaTests.CheckDequantize(device, tile, new ConvProblem(3, 16, 10, 10, 33, 3, 3, PadH: 1, PadW: 1), seed: 3);
        }

    }
}
