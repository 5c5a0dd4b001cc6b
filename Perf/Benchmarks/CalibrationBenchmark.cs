using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Calibration speed. Device: the range pass (amax) and the histogram pass over 256 MiB of floats (a normal
/// distribution and its ReLU, half exact zeros), GB/s of bytes read and the ratio to the copy bandwidth
/// (bytes read + written) measured in the same run: the <c>ceilings</c> benchmark's when it ran, else a 16-byte copy
/// of the same buffer measured here. Host: the entropy and MSE searches per tensor, median over many random
/// histograms, against a 1 ms budget (ratio = ms / 1 ms, lower is better).
/// </summary>
public sealed class CalibrationBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "calib";

    /// <inheritdoc />
    public string Description => "histogram collection GB/s vs copy (256 MiB), entropy / MSE search ms per tensor";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        MeasureCollection(context);
        MeasureSearches(context);
    }

    private void MeasureCollection(BenchContext context)
    {
        var device = context.Device;
        var acc = device.Accelerator;
        int n = context.Quick ? 1 << 16 : 1 << 26; // 2^26 floats = 256 MiB
        long bytes = 4L * n;
        using var data = acc.Allocate1D<float>(n);

        string copyKey = CeilingsBenchmark.Copy;
        if (!context.Ceilings.TryGetValue(copyKey, out double copy))
        {
            using var sink = acc.Allocate1D<float>(n);
            var copyKernel = device.GetKernel("perf.ceiling.copy", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Int4>, ArrayView<Int4>>(CeilingKernels.Copy16));
            double copyMs = context.TimeMedianMs(() => copyKernel(n / 4, data.View.AsContiguous().Cast<Int4>(), sink.View.AsContiguous().Cast<Int4>()));
            copy = 2.0 * bytes / (copyMs * 1e6);
            copyKey = "copy GB/s (measured here)";
            context.Add(new BenchResult(Name, $"copy 16 B/thread, {bytes / 1048576.0:G4} MiB", copyMs, copy, "GB/s"));
        }

        var generate = device.GetKernel("perf.calib.generate", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int>(Generate));
        foreach (var (label, relu) in new[] { ("normal", 0), ("relu(normal)", 1) })
        {
            generate(n, data.View, relu);
            using var collector = new HistogramCollector(device, label);
            double rangeMs = context.TimeMedianMs(() => collector.ObserveRange(data.View));
            collector.FinishRange();
            double histMs = context.TimeMedianMs(() => collector.Count(data.View));
            double rangeGbs = bytes / (rangeMs * 1e6), histGbs = bytes / (histMs * 1e6);
            double bothGbs = 2.0 * bytes / ((rangeMs + histMs) * 1e6);
            context.Add(new BenchResult(Name, $"range pass {label}, {bytes / 1048576.0:G4} MiB", rangeMs, rangeGbs, "GB/s", rangeGbs / copy, copyKey));
            context.Add(new BenchResult(Name, $"histogram pass {label}, {bytes / 1048576.0:G4} MiB", histMs, histGbs, "GB/s", histGbs / copy, copyKey));
            context.Add(new BenchResult(Name, $"both passes {label}", rangeMs + histMs, bothGbs, "GB/s", bothGbs / copy, copyKey));

            // The histogram pass over other grids (group size × groups a multiprocessor), to choose the default.
            if (device.IsCuda && relu == 1)
            {
                var chosen = HistogramLaunch.CudaGeometry;
                foreach (var geometry in new[] { (256, 8), (512, 4), (512, 1), (1024, 1), (1024, 2) })
                {
                    HistogramLaunch.CudaGeometry = geometry;
                    double ms = context.TimeMedianMs(() => collector.Count(data.View));
                    double gbs = bytes / (ms * 1e6);
                    context.Add(new BenchResult(Name, $"histogram pass {label}, {geometry.Item1}×{geometry.Item2}/SM", ms, gbs, "GB/s", gbs / copy, copyKey));
                }

                HistogramLaunch.CudaGeometry = chosen;
            }
        }
    }

    private void MeasureSearches(BenchContext context)
    {
        int count = context.Quick ? 20 : 500;
        var histograms = Enumerable.Range(0, count).Select(RandomHistogram).ToList();
        Search(context, "entropy search per tensor (2048 bins)", histograms, h => EntropyCalibrator.ThresholdFromHistogram(h, 1.0));
        Search(context, "MSE search per tensor (2048 bins)", histograms.Take(Math.Max(5, count / 10)).ToList(), h => MseCalibrator.ThresholdFromHistogram(h, 1.0));
    }

    private void Search(BenchContext context, string label, List<long[]> histograms, Func<long[], double> search)
    {
        for (var i = 0; i < Math.Min(3, histograms.Count); i++)
        {
            search(histograms[i]); // JIT warm-up
        }

        var samples = new double[histograms.Count];
        for (var i = 0; i < histograms.Count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            search(histograms[i]);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(samples);
        double ms = samples[samples.Length / 2];
        context.Add(new BenchResult(Name, $"{label}, median of {samples.Length}", ms, 1000.0 / ms, "1/s", ms / 1.0, "1 ms budget"));
    }

    /// <summary>
    /// x[i] = an approximately normal value from a hash of i: v = (u1 + u2 + u3 + u4 − 2)·√3 (four 8-bit uniforms,
    /// σ = 1), times 8 for one value in 4096 (a sparse tail of outliers), ReLU'd when relu ≠ 0.
    /// </summary>
    internal static void Generate(Index1D i, ArrayView<float> x, int relu)
    {
        uint h = Hash((uint)i.X);
        float sum = ((h & 0xFF) + ((h >> 8) & 0xFF) + ((h >> 16) & 0xFF) + (h >> 24) + 2f) / 256f;
        float v = (sum - 2f) * 1.7320508f;
        v = (Hash(h) & 0xFFF) == 0 ? v * 8f : v;
        x[i] = relu != 0 && v < 0f ? 0f : v;
    }

    private static uint Hash(uint v)
    {
        v ^= v >> 16;
        v *= 0x7feb352dU;
        v ^= v >> 15;
        v *= 0x846ca68bU;
        v ^= v >> 16;
        return v;
    }

    private static long[] RandomHistogram(int seed)
    {
        var random = new Random(seed);
        var counts = new long[TensorHistogram.Bins];
        int bulk = random.Next(100, 1800);
        double decay = random.NextDouble() * 5 / bulk;
        for (var b = 0; b < counts.Length; b++)
        {
            counts[b] = b < bulk
                ? (random.Next(6) == 0 ? 0 : (long)(random.Next(1, 10_000) * Math.Exp(-decay * b)) + 1)
                : (random.Next(40) == 0 ? random.Next(1, 5) : 0);
        }

        counts[0] += random.Next(2) * 5_000_000L;
        return counts;
    }
}
