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

    /// <summary>
    /// Peer throughput measured in the same device call by a script under Perf/peers (<c>--peers FILE</c>, its JSON:
    /// rows of {peer, case, tops}); null when absent.
    /// </summary>
    public double? Peer(string peer, string caseName)
    {
        if (!_options.TryGetValue("peers", out var path) || !File.Exists(path))
        {
            return null;
        }

        _peers ??= LoadPeers(path);
        return _peers.TryGetValue((peer, caseName), out var v) ? v : null;
    }

    /// <summary>Every peer measured for <paramref name="caseName"/>, by peer name (empty without <c>--peers</c>).</summary>
    public IReadOnlyList<(string Peer, double Value)> Peers(string caseName)
    {
        if (!_options.TryGetValue("peers", out var path) || !File.Exists(path))
        {
            return [];
        }

        _peers ??= LoadPeers(path);
        return [.. _peers.Where(p => p.Key.Item2 == caseName).Select(p => (p.Key.Item1, p.Value))];
    }

    /// <summary>Records, for each peer that was measured, a row with the peer's throughput and ours / theirs.</summary>
    public void AddPeerRatios(string benchmark, string caseName, double ours, params string[] peers) =>
        AddLabelledPeerRatios(benchmark, caseName, ours, "ours", peers);

    /// <summary>
    /// As above, the ratio labelled <paramref name="oursLabel"/> / peer (e.g. "selected", "best of 4"). A name of its
    /// own: as an overload of the one above, a call with two or more peer names bound its first peer as the label, and
    /// that peer's ratio was never printed (Perf wgmma lost torch._int_mm, Perf conv cuDNN strict FP32).
    /// </summary>
    public void AddLabelledPeerRatios(string benchmark, string caseName, double ours, string oursLabel, params string[] peers)
    {
        foreach (var peer in peers)
        {
            if (Peer(peer, caseName) is { } theirs)
            {
                Add(new BenchResult(benchmark, $"  peer {peer} {caseName}", 0, theirs, "TOPS", ours / theirs, $"{oursLabel} / {peer}"));
            }
        }
    }

    private static Dictionary<(string, string), double> LoadPeers(string path)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var result = new Dictionary<(string, string), double>();
        foreach (var row in doc.RootElement.GetProperty("rows").EnumerateArray())
        {
            result[(row.GetProperty("peer").GetString()!, row.GetProperty("case").GetString()!)] = row.GetProperty("tops").GetDouble();
        }

        return result;
    }

    private Dictionary<(string, string), double>? _peers;

    private (double Min, double Median, double Max)? _lastTiming;

    /// <summary>What the peers file says about the peers besides their rows (device, library versions), or null.</summary>
    public Dictionary<string, string>? PeerVersions()
    {
        if (!_options.TryGetValue("peers", out var path) || !File.Exists(path))
        {
            return null;
        }

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == System.Text.Json.JsonValueKind.String)
            .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
    }

    /// <summary>Timed repeats per measurement (<c>--repeats</c>, default 10).</summary>
    public int Repeats => int.Parse(Option("repeats", "10"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True with <c>--quick</c>: small sizes, for a smoke run on the CPU accelerator.</summary>
    public bool Quick => _options.ContainsKey("quick");

    /// <summary>An option's value or a default.</summary>
    public string Option(string name, string fallback) => _options.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>
    /// Records a result and prints it. When its median is the median of the last <see cref="TimeMedianMs"/> call, that
    /// timing's min and max go with it.
    /// </summary>
    public void Add(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (_lastTiming is { } t && t.Median == result.MedianMs && result.MinMs is null)
        {
            result = result with { MinMs = t.Min, MaxMs = t.Max };
        }

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
        var median = samples[samples.Length / 2];
        _lastTiming = (samples[0], median, samples[^1]);
        return median;
    }
}
