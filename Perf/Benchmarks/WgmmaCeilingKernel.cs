using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// The wgmma issue ceiling: blocks of two warpgroups, each issuing <see cref="MmaPerIteration"/> back-to-back
/// <c>wgmma.mma_async m64n256k32.s32.s8.s8</c> a loop turn from fixed shared-memory operands (48 KB of pseudo-random
/// bytes, the 128-byte-swizzled layout of the GEMM), one commit group a turn with one group left in flight, exactly
/// the main loop of <c>GemmWgmmaTn</c> without its copies and barriers. ops = blocks · 2 · iterations · 4 · 64·256·32 · 2.
/// </summary>
public static class WgmmaCeilingKernel
{
    /// <summary>wgmma instructions a warpgroup issues per loop turn.</summary>
    public const int MmaPerIteration = 4;

    /// <summary>
    /// Dynamic shared memory a block: the operands (A 128 rows and B 256 rows of 128 bytes) or the staging tile the
    /// accumulators are stored to at the end (128 × 264 int32), whichever is larger, plus 1 KB for alignment.
    /// </summary>
    public const int SharedBytes = (128 * 264 * 4) + 1024;

    /// <summary>The kernel (CUDA sm_90a only: load through <see cref="PtxSm90aPass"/>).</summary>
    public static void WgmmaThroughput(int seed, int iterations, ArrayView<int> sink)
    {
        var smem = SharedMemory.GetDynamic<int>();
        var ops = default(PtxWgmmaN256);
        int tid = Group.IdxX;
        for (int i = tid; i < SharedBytes / 4; i += Group.DimX)
        {
            uint x = ((uint)i * 0x9E3779B1u) ^ (uint)seed;
            smem[i] = (int)(x ^ (x >> 13));
        }

        ops.FenceProxyAsync();
        Group.Barrier();
        uint sbase = ops.DynamicSharedBase();
        uint ring = (sbase + 1023u) & ~1023u;
        int wg = tid >> 7;
        long da = WgmmaDescriptor.Swizzle128(ring + (uint)(wg * 64 * 128));
        long db = WgmmaDescriptor.Swizzle128(ring + (128 * 128));
        ops.ZeroAccumulators(ArrayView<int>.Empty);
        for (int it = 0; it < iterations; it++)
        {
            ops.Fence();
            ops.Mma(smem, da, db, ArrayView<int>.Empty);
            ops.Mma(smem, da + 2, db + 2, ArrayView<int>.Empty);
            ops.Mma(smem, da + 4, db + 4, ArrayView<int>.Empty);
            ops.Mma(smem, da + 6, db + 6, ArrayView<int>.Empty);
            ops.CommitMma();
            ops.WaitMma(1);
        }

        ops.WaitMma(0);
        Group.Barrier();

        // Keep the accumulators alive: stage them (as the GEMM does) and store one only if it takes a value it never does.
        int lane = tid & 31;
        int own = (((64 * wg) + (16 * ((tid >> 5) & 3)) + (lane >> 2)) * ops.StagingPitchBytes) + (8 * (lane & 3));
        ops.StoreAccumulators(smem, ring + (uint)own, 0, ArrayView<int>.Empty);
        Group.Barrier();
        int v = smem[(int)((ring - sbase) / 4) + tid];
        if (v == int.MinValue + 12345)
        {
            sink[0] = v;
        }
    }

    /// <summary>Times the kernel on one wave and on many blocks; returns the better TOPS (0 where wgmma cannot run).</summary>
    public static double Measure(BenchContext context, string benchmark)
    {
        var device = context.Device;
        if (!Kernels.Gemm.GemmWgmmaTn.Supported(device))
        {
            Console.WriteLine("  wgmma ceiling: needs compute capability 9.0; skipped.");
            return 0;
        }

        var acc = device.Accelerator;
        using var sink = acc.Allocate1D<int>(1);
        var launch = device.GetKernel("perf.ceiling.wgmma", a =>
            PtxSm90aPass.LoadKernel(a, typeof(WgmmaCeilingKernel).GetMethod(nameof(WgmmaThroughput))!, SharedBytes)
                .CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, int, int, ArrayView<int>>>());
        int sms = Math.Max(acc.NumMultiprocessors, 1);
        (int Blocks, int Iterations)[] shapes = context.Quick ? [(1, 2)] : [(sms, 8192), (sms * 16, 512)];
        double best = 0;
        foreach (var (blocks, iterations) in shapes)
        {
            var config = new KernelConfig(blocks, 256, SharedMemoryConfig.RequestDynamic<int>(SharedBytes / 4));
            double ms = context.TimeMedianMs(() => launch(acc.DefaultStream, config, 7, iterations, sink.View));
            double tops = (double)blocks * 2 * iterations * MmaPerIteration * 64 * 256 * 32 * 2 / (ms * 1e9);
            best = Math.Max(best, tops);
            context.Add(new BenchResult(benchmark, $"wgmma m64n256k32 {blocks}×2 warpgroups × {iterations}", ms, tops, "TOPS"));
        }

        return best;
    }
}
