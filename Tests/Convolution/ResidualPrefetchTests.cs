using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// The fused residual epilogue (<see cref="RequantizeSumEpilogue"/>) in the tensor-core convolutions, with the block's skip
/// tile copied into shared memory ahead of the epilogue (<see cref="OperandTile"/>), against the unfused pair
/// (requantize, then <see cref="Int8ElementWise.Sum"/>) bit for bit: odd shapes (M and K not tile multiples, a skip
/// leading dimension wider than K so that the last chunk of a row is partial), −128/127 skips, ReLU on and off, the
/// prefetch on (16-byte aligned address and ld) and off (unknown address: byte loads; ld a multiple of 4: int loads).
/// On the CPU accelerator through the emulated instructions (one-warp 64×64 mma tile, 64-wide wgmma), on the GPU every
/// tile the engine selects.
/// </summary>
public sealed class ResidualPrefetchTests
{
    // (problem, skip ld, relu): K = 20 in a 32-wide skip row (partial 4-byte chunk), K = 70 past one 64-wide tile with ld
    // 80, K = 48 dense (ld = K), and K = 12 with ld 12 (no prefetch: ld not a multiple of 16; int loads).
    public static TheoryData<int, int, bool> CpuCases => new()
    {
        { 0, 32, true },
        { 1, 80, false },
        { 2, 48, true },
        { 3, 12, false },
    };

    private static readonly ConvProblem[] Problems =
    [
        new(2, 16, 5, 5, 20, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        new(1, 32, 7, 6, 70, 1, 1),
        new(1, 16, 9, 9, 48, 3, 3, PadH: 1, PadW: 1),
        new(1, 16, 4, 5, 12, 3, 3, PadH: 1, PadW: 1),
    ];

    [Theory]
    [MemberData(nameof(CpuCases))]
    public void Emulated_mma_tile_matches_the_unfused_pair_on_cpu(int problem, int skipLd, bool relu) =>
        Check(TestDevices.Cpu, new ConvMma64x64(allowCpuAccelerator: true), Problems[problem], skipLd, relu, seed: 10 + problem, address: true);

    [Fact]
    public void Without_a_device_address_the_epilogue_reads_the_skip_itself_with_the_same_bits_on_cpu() =>
        Check(TestDevices.Cpu, new ConvMma64x64(allowCpuAccelerator: true), Problems[0], 32, relu: false, seed: 3, address: false);

    [Fact]
    public void Emulated_wgmma_matches_the_unfused_pair_on_cpu() =>
        Check(TestDevices.Cpu, new ConvWgmma(64, allowCpuAccelerator: true, stages: 4), Problems[0], 32, relu: true, seed: 5, address: true);

    [Fact]
    public void Emulated_persistent_wgmma_matches_the_unfused_pair_on_cpu() =>
        Check(TestDevices.Cpu, new ConvWgmmaPersistent(64, ring: 4, allowCpuAccelerator: true, blocksPerColumn: 1), Problems[2], 48, relu: true, seed: 6, address: true);

    [Fact]
    public void The_operand_tile_fits_in_every_tiles_shared_memory_without_growing_it()
    {
        // The skip tile sits behind the staging tile inside the pipeline's bytes: no tile the engine selects asks for more
        // shared memory than its pipeline (occupancy unchanged).
        foreach (var tile in new ConvMma[] { new ConvMma128x128(), new ConvMma128x64(), new ConvMma64x64(), new ConvMma128x128S3(), new ConvMma128x64S3() })
        {
            Assert.Equal((tile.Stages * (tile.TileM + tile.TileN) * 128) + (8 * tile.TileM), tile.SharedBytes);
        }
    }

    [Fact]
    public void The_ptx_of_the_fused_convolution_copies_the_skip_tile_after_the_main_loop()
    {
        // sm_90 PTX without a GPU: the residual kernel copies its skip tile with cp.async once the pipeline is drained.
        using var context = Context.Create(b => Int8Device.Configure(b.Optimize(OptimizationLevel.O2)));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!);
        string Ptx<TEpilogue>()
            where TEpilogue : struct, IGemmEpilogue
        {
            var kernel = new ConvMma128x64S3().KernelFor<TEpilogue>(ptx: true).Method;
            var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
            return PtxSm90aPass.Rewrite(PtxLocalSlotPass.Rewrite(compiled.PTXAssembly));
        }

        static int Count(string ptx, string what) => ptx.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));
        var plain = Ptx<RequantizeEpilogue>();
        var fused = Ptx<RequantizeSumEpilogue>();
        // The skip copy follows the main loop's final wait (cp.async.wait_group 0), then its own commit group.
        var afterLoop = fused[fused.IndexOf("cp.async.wait_group 0", StringComparison.Ordinal)..];
        Assert.True(Count(afterLoop, "cp.async.cg") >= 1 && Count(afterLoop, "cp.async.commit_group") >= 1, "the fused kernel copies its skip tile after the main loop");
        Assert.True(Count(fused, "cp.async.cg") >= Count(plain, "cp.async.cg"), $"{Count(fused, "cp.async.cg")} vs {Count(plain, "cp.async.cg")} cp.async");
        Assert.DoesNotContain("call.uni", fused, StringComparison.Ordinal);
        Assert.DoesNotContain(".extern .func", fused, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Every_engine_tile_matches_the_unfused_pair_on_the_gpu()
    {
        var cuda = TestDevices.Cuda;
        var random = new Random(1405);
        IConvVariant[] variants = [new ConvMmaAuto(), new ConvMma128x64S3(), new ConvMma128x128S3(), new ConvMma128x128(), new ConvWgmma(), new ConvWgmma(128), new ConvWgmma(256), new ConvWgmmaPersistent(64, ring: 6), new ConvWgmmaPersistent(64, ring: 3), new ConvWgmmaPersistent(128, ring: 4)];
        foreach (var variant in variants)
        {
            for (var i = 0; i < 12; i++)
            {
                int c = 16 * random.Next(1, 9), k = random.Next(1, 300);
                var p = new ConvProblem(random.Next(1, 4), c, random.Next(3, 20), random.Next(3, 20), k, 3, 3, PadH: 1, PadW: 1, StrideH: random.Next(1, 3), StrideW: random.Next(1, 3));
                if (variant.CanImplement(cuda, p, TensorFormat.NHWC) is not null)
                {
                    continue;
                }

                int ld = random.Next(2) == 0 ? k : ((k + 15) / 16 * 16) + (16 * random.Next(0, 2));
                Check(cuda, variant, p, ld, relu: (i & 1) == 0, seed: i, address: i != 5);
            }
        }

        // ResNet-18's block-final layers at batch 2 (64@56, 128@28: the 128×64 and 128×128 tiles the engine selects).
        Check(cuda, new ConvMmaAuto(), new ConvProblem(2, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1), 64, relu: true, seed: 99, address: true);
        Check(cuda, new ConvMmaAuto(), new ConvProblem(2, 128, 28, 28, 128, 3, 3, PadH: 1, PadW: 1), 128, relu: true, seed: 98, address: true);
        // A small grid with long K: split-K, the skip read by the finishing kernel.
        Check(cuda, new ConvMmaAuto(), new ConvProblem(1, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1), 512, relu: true, seed: 97, address: true);
    }

    // The fused epilogue against requantize-then-sum on the host; the skip has −128 and 127 at both ends of every row.
    internal static void Check(Int8Device device, IConvVariant variant, ConvProblem p, int skipLd, bool relu, int seed, bool address)
    {
        var x = TestData.Int8(p.N * p.H * p.W * p.C, seed);
        var w = TestData.Int8(p.K * p.R * p.S * p.C, seed + 100);
        var acc = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        int rows = p.N * p.P * p.Q;
        var skip = TestData.Int8(rows * skipLd, seed + 200);
        for (var r = 0; r < rows; r++)
        {
            skip[r * skipLd] = -128;
            skip[(r * skipLd) + p.K - 1] = 127;
        }

        var bias = TestData.Int32(p.K, seed, -3000, 3000);
        var multiplier = Enumerable.Range(0, p.K).Select(i => 0.0005f + (0.0001f * (i % 17))).ToArray();
        var sum = ResidualSum.Create(0.05f, 0.03f, 0.07f, relu);
        var expected = new sbyte[acc.Length];
        for (var i = 0; i < acc.Length; i++)
        {
            int row = i / p.K, col = i % p.K;
            // The unfused pair: t = requantize(acc) at the convolution's scale, then the int8 sum with the skip.
            int t = QuantMath.Requantize(acc[i], bias[col], multiplier[col], -127);
            expected[i] = (sbyte)Int8ElementWise.Sum(t, skip[(row * skipLd) + col], sum.MConv, sum.MSkip, sum.Shift, sum.Lo);
        }

        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dy = device.Accelerator.Allocate1D<sbyte>(acc.Length);
        using var dm = device.Accelerator.Allocate1D(multiplier);
        using var db = device.Accelerator.Allocate1D(bias);
        using var ds = device.Accelerator.Allocate1D(skip);
        dy.MemSet(0x5A);
        var epilogue = new RequantizeSumEpilogue(dy.View, p.K, dm.View, db.View, ds.View, skipLd, sum) { SkipAddress = address ? OperandTile.DeviceAddress(ds.View) : 0 };
        Assert.Equal(address && skipLd % 16 == 0, OperandTile.Prefetches(epilogue.Operand));
        variant.Run(device, dx.View, TensorFormat.NHWC, weights, p, epilogue);
        device.Synchronize();
        Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"{variant.Name} residual {p} ld {skipLd} relu={relu} address={address} on {device.Kind}");
    }
}
