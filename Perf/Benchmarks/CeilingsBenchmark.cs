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

    /// <summary>Key of the copy bandwidth.</summary>
    public const string Copy = "copy GB/s";

    /// <inheritdoc />
    public string Name => "ceilings";

    /// <inheritdoc />
    public string Description => "dp4a and mma.sync instruction throughput, device copy bandwidth";

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

        // mma.sync m16n8k32: ops = warps · iterations · 16 MMAs · 16·8·32 MACs · 2.
        int groups = context.Quick ? 1 : sms * 8;
        int groupSize = context.Quick ? 32 : 256;
        int mmaIterations = context.Quick ? 2 : 2048;
        var mma = device.GetKernel("perf.ceiling.mma", a =>
            a.LoadStreamKernel<int, int, int, ArrayView<int>>(CeilingKernels.MmaThroughput));
        ms = context.TimeMedianMs(() => mma(new KernelConfig(groups, groupSize), 0x01020304, 0x05060708, mmaIterations, sink.View));
        double warps = (double)groups * groupSize / 32;
        tops = warps * mmaIterations * CeilingKernels.MmaPerIteration * 16 * 8 * 32 * 2 / (ms * 1e9);
        context.Ceilings[Mma] = tops;
        context.Add(new BenchResult(Name, $"mma.sync m16n8k32 {warps} warps × {mmaIterations}", ms, tops, "TOPS"));

        // Copy: 1 GiB read + 1 GiB written (16-byte accesses), and ILGPU's buffer copy.
        long bytes = context.Quick ? 1 << 20 : 1L << 30;
        string size = context.Quick ? "1 MiB" : "1 GiB";
        using var src = acc.Allocate1D<Int4>(bytes / 16);
        using var dst = acc.Allocate1D<Int4>(bytes / 16);
        src.MemSetToZero();
        var copy = device.GetKernel("perf.ceiling.copy", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Int4>, ArrayView<Int4>>(CeilingKernels.Copy16));
        ms = context.TimeMedianMs(() => copy((int)(bytes / 16), src.View, dst.View));
        double gbs = 2.0 * bytes / (ms * 1e6);
        context.Ceilings[Copy] = gbs;
        context.Add(new BenchResult(Name, $"copy kernel 16 B/thread, {size}", ms, gbs, "GB/s"));
        ms = context.TimeMedianMs(() => src.View.CopyTo(dst.View));
        context.Add(new BenchResult(Name, $"ILGPU buffer CopyTo, {size}", ms, 2.0 * bytes / (ms * 1e6), "GB/s", 2.0 * bytes / (ms * 1e6) / gbs, "copy kernel"));
    }
}
