using System.Diagnostics;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// INT8 GEMM on the CPU (System.Runtime.Intrinsics) per instruction-set variant at 512³ and 2048³: GOPS (2·M·N·K / time),
/// median of repeats after a warm-up, B packed once outside the timing, with the ratio to the scalar variant.
/// Runs on the host; no GPU needed.
/// </summary>
public sealed class CpuGemmBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "cpugemm";

    /// <inheritdoc />
    public string Description => "CPU INT8 GEMM GOPS per variant (VNNI, AVX2, scalar) at 512^3 and 2048^3";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        int[] sizes = context.Quick ? [64] : [512, 2048];
        foreach (var size in sizes)
        {
            var random = new Random(size);
            var a = new sbyte[size * size];
            var b = new sbyte[size * size];
            random.NextBytes((byte[])(Array)a);
            random.NextBytes((byte[])(Array)b);
            var c = new int[size * size];
            double? scalar = null;
            foreach (var isa in Enum.GetValues<CpuIsa>().Reverse())
            {
                if (!CpuIsaSupport.IsSupported(isa) || (isa == CpuIsa.Scalar && size > 512))
                {
                    continue;
                }

                var packed = new PackedB(b, size, size, isa);
                CpuGemmS8.Run(a, packed, c, size);
                int repeats = size > 1024 ? 3 : Math.Max(3, context.Repeats);
                var samples = new double[repeats];
                for (var r = 0; r < repeats; r++)
                {
                    var watch = Stopwatch.StartNew();
                    CpuGemmS8.Run(a, packed, c, size);
                    samples[r] = watch.Elapsed.TotalMilliseconds;
                }

                Array.Sort(samples);
                double ms = samples[repeats / 2];
                double gops = 2.0 * size * size * size / (ms * 1e6);
                scalar ??= isa == CpuIsa.Scalar ? gops : null;
                context.Add(new BenchResult(Name, $"{isa} {size}^3 ({Environment.ProcessorCount} cores)", ms, gops, "GOPS", scalar is { } s ? gops / s : null, scalar is null ? null : "scalar (512^3)"));
            }
        }
    }
}
