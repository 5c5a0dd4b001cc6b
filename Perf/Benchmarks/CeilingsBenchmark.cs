using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// The ceilings every ratio is taken against, measured in the same run: dp4a and mma.sync instruction
/// throughput (TOPS, 1 multiply-add = 2 ops) and the device copy bandwidth (bytes read + written).
/// </summary>
public sealed class CeilingsBenchmark : IBenchmark
{
    /// <summary>Key of the dp4a ceiling in <see cref="BenchContext.Ceilings"/>.</summary>
    public const string Dp4a = "dp4a TOPS";

    /// <summary>Key of the mma.sync ceiling.</summary>
    public const string Mma = "mma TOPS";

    /// <summary>Key of the wgmma (Hopper) instruction ceiling.</summary>
    public const string Wgmma = "wgmma TOPS";

    /// <summary>Key of the copy bandwidth.</summary>
    public const string Copy = "copy GB/s";

    /// <inheritdoc />
    public string Name => "ceilings";

    /// <inheritdoc />
    public string Description => "dp4a, mma.sync and wgmma instruction throughput, device copy bandwidth";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        var device = context.Device;
        var acc = device.Accelerator;
        using var sink = acc.Allocate1D<int>(1);
        int sms = Math.Max(acc.NumMultiprocessors, 1);

        // dp4a: ops = threads · iterations · 16 dp4a · 4 MACs · 2.
        int threads = context.Quick ? 256 : sms * 2048;
        int iterations = context.Quick ? 4 : 4096;
        var dp4a = device.GetKernel("perf.ceiling.dp4a", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<int>>(CeilingKernels.Dp4aThroughput));
        double ms = context.TimeMedianMs(() => dp4a(threads, 0x01020304, 0x05060708, iterations, sink.View));
        double tops = (double)threads * iterations * CeilingKernels.Dp4aPerIteration * 8 / (ms * 1e9);
        context.Ceilings[Dp4a] = tops;
        context.Add(new BenchResult(Name, $"dp4a {threads} threads × {iterations}", ms, tops, "TOPS"));

        // mma.sync m16n8k32: ops = warps · iterations · 16 MMAs · 16·8·32 MACs · 2. Two launch shapes (one wave of 8-warp
        // blocks, and many 4-warp blocks so that the last partial wave matters little); the ceiling is the faster.
        var mma = device.GetKernel("perf.ceiling.mma", a =>
            a.LoadStreamKernel<int, int, int, ArrayView<int>>(CeilingKernels.MmaThroughput));
        (int Groups, int GroupSize, int Iterations)[] mmaShapes = context.Quick
            ? [(1, 32, 2)]
            : [(sms * 8, 256, 2048), (sms * 64, 128, 512)];
        double best = 0;
        foreach (var (groups, groupSize, mmaIterations) in mmaShapes)
        {
            ms = context.TimeMedianMs(() => mma(new KernelConfig(groups, groupSize), 0x01020304, 0x05060708, mmaIterations, sink.View));
            double warps = (double)groups * groupSize / 32;
            tops = warps * mmaIterations * CeilingKernels.MmaPerIteration * 16 * 8 * 32 * 2 / (ms * 1e9);
            best = Math.Max(best, tops);
            context.Add(new BenchResult(Name, $"mma.sync m16n8k32 {groups}×{groupSize / 32} warps × {mmaIterations}", ms, tops, "TOPS"));
        }

        context.Ceilings[Mma] = best;

        // wgmma m64n256k32 (sm_90a only).
        double wgmma = WgmmaCeilingKernel.Measure(context, Name);
        if (wgmma > 0)
        {
            context.Ceilings[Wgmma] = wgmma;
        }

        // Copy of 1 GiB (bytes read + written): 16 and 32 bytes a thread, and ILGPU's buffer copy. The copy ceiling is
        // the fastest of the three, so ratios to it are never flattered by a slow copy kernel.
        long bytes = context.Quick ? 1 << 20 : 1L << 30;
        string size = context.Quick ? "1 MiB" : "1 GiB";
        using var src = acc.Allocate1D<Int4>(bytes / 16);
        using var dst = acc.Allocate1D<Int4>(bytes / 16);
        src.MemSetToZero();
        var copy16 = device.GetKernel("perf.ceiling.copy16", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Int4>, ArrayView<Int4>>(CeilingKernels.Copy16));
        var copy32 = device.GetKernel("perf.ceiling.copy32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Int4>, ArrayView<Int4>>(CeilingKernels.Copy32));
        (string Case, Action Launch)[] copies =
        [
            ($"copy kernel 16 B/thread, {size}", () => copy16((int)(bytes / 16), src.View, dst.View)),
            ($"copy kernel 32 B/thread, {size}", () => copy32((int)(bytes / 32), src.View, dst.View)),
            ($"ILGPU buffer CopyTo, {size}", () => src.View.CopyTo(dst.View)),
        ];
        best = 0;
        foreach (var (name, launch) in copies)
        {
            ms = context.TimeMedianMs(launch);
            double gbs = 2.0 * bytes / (ms * 1e6);
            best = Math.Max(best, gbs);
            context.Add(new BenchResult(Name, name, ms, gbs, "GB/s"));
        }

        context.Ceilings[Copy] = best;
    }
}
