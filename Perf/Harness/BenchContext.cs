using System.Diagnostics;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Perf.Harness;

/// <summary>What a benchmark gets: the device, options, a timer and the result list.</summary>
public sealed class BenchContext
{
    private readonly Dictionary<string, string> _options;

    /// <summary>Creates a context over a device with parsed <c>--key value</c> options.</summary>
    public BenchContext(Int8Device device, Dictionary<string, string> options)
    {
        Device = device;
        _options = options;
    }

    /// <summary>The device benchmarks run on.</summary>
    public Int8Device Device { get; }

    /// <summary>All results recorded so far.</summary>
    public List<BenchResult> Results { get; } = [];

    /// <summary>Measured ceilings by name (e.g. "dp4a TOPS", "copy GB/s"), for ratios.</summary>
    public Dictionary<string, double> Ceilings { get; } = [];

    /// <summary>Timed repeats per measurement (<c>--repeats</c>, default 10).</summary>
    public int Repeats => int.Parse(Option("repeats", "10"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True with <c>--quick</c>: small sizes, for a smoke run on the CPU accelerator.</summary>
    public bool Quick => _options.ContainsKey("quick");

    /// <summary>An option's value or a default.</summary>
    public string Option(string name, string fallback) => _options.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>Records a result and prints it.</summary>
    public void Add(BenchResult result)
    {
        Results.Add(result);
        var ratio = result.Ratio is { } r ? $"  {r:F3}× {result.RatioTo}" : string.Empty;
        Console.WriteLine($"  {result.Benchmark,-14} {result.Case,-40} {result.MedianMs,10:F4} ms {result.Throughput,10:F1} {result.Unit}{ratio}");
    }

    /// <summary>
    /// Median milliseconds of <paramref name="launch"/> after <paramref name="warmup"/> runs (the first includes the JIT).
    /// Each sample: device synchronised, then <paramref name="inner"/> launches timed by profiling markers
    /// (device events) on CUDA, by a stopwatch around synchronisation elsewhere.
    /// </summary>
    public double TimeMedianMs(Action launch, int warmup = 2, int inner = 1)
    {
        var accelerator = Device.Accelerator;
        for (var i = 0; i < warmup; i++)
        {
            launch();
        }

        accelerator.Synchronize();
        var samples = new double[Repeats];
        for (var s = 0; s < samples.Length; s++)
        {
            if (Device.IsCuda)
            {
                using var start = accelerator.DefaultStream.AddProfilingMarker();
                for (var i = 0; i < inner; i++)
                {
                    launch();
                }

                using var stop = accelerator.DefaultStream.AddProfilingMarker();
                stop.Synchronize();
                samples[s] = stop.MeasureFrom(start).TotalMilliseconds / inner;
            }
            else
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < inner; i++)
                {
                    launch();
                }

                accelerator.Synchronize();
                samples[s] = watch.Elapsed.TotalMilliseconds / inner;
            }
        }

        Array.Sort(samples);
        return samples[samples.Length / 2];
    }
}
