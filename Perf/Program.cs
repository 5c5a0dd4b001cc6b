using System.Globalization;
using System.Text.Json;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf;

/// <summary>
/// The GPU performance suite: <c>Perf NAME|all [--out DIR] [--repeats N] [--quick] [--device cpu|cuda]</c>.
/// Results are printed as they come, as a table at the end, and written to DIR/perf.json.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var benchmarks = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name == "ceilings" ? 0 : 1).ThenBy(b => b.Name, StringComparer.Ordinal)
            .ToList();

        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: Perf NAME|all [NAME...] [--out DIR] [--repeats N] [--quick] [--device cpu|cuda]");
            foreach (var b in benchmarks)
            {
                Console.WriteLine($"  {b.Name,-14} {b.Description}");
            }

            return args.Length == 0 ? 2 : 0;
        }

        var names = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        var options = ParseOptions(args.Skip(names.Count).ToArray());
        var selected = names.Contains("all") ? benchmarks : benchmarks.Where(b => names.Contains(b.Name)).ToList();
        var unknown = names.Where(n => n != "all" && benchmarks.TrueForAll(b => b.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"unknown benchmark(s): {string.Join(", ", unknown)}");
            return 2;
        }

        var kind = options.TryGetValue("device", out var d) ? (d == "cpu" ? DeviceKind.Cpu : DeviceKind.Cuda) : DeviceKind.Auto;
        var device = Int8Device.Shared(kind);
        Console.WriteLine($"device: {device.Accelerator.Name} ({device.Kind}), cc {device.ComputeCapability ?? "-"}, PTX ISA {device.PtxIsa ?? "-"}");
        var context = new BenchContext(device, options);
        foreach (var benchmark in selected)
        {
            Console.WriteLine($"== {benchmark.Name}: {benchmark.Description}");
            benchmark.Run(context);
        }

        PrintTable(context.Results);
        if (options.TryGetValue("out", out var outDir))
        {
            Directory.CreateDirectory(outDir);
            var json = JsonSerializer.Serialize(new
            {
                device = device.Accelerator.Name,
                kind = device.Kind.ToString(),
                computeCapability = device.ComputeCapability,
                ceilings = context.Ceilings,
                results = context.Results,
            }, new JsonSerializerOptions { WriteIndented = true });
            AtomicFile.WriteAllText(Path.Combine(outDir, "perf.json"), json);
            Console.WriteLine($"wrote {Path.Combine(outDir, "perf.json")}");
        }

        return 0;
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var key = args[i].TrimStart('-');
            var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            options[key] = hasValue ? args[++i] : "true";
        }

        return options;
    }

    private static void PrintTable(List<BenchResult> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{"benchmark",-14} {"case",-40} {"ms",10} {"throughput",12} {"unit",-6} {"ratio",8}  vs");
        foreach (var r in results)
        {
            var ratio = r.Ratio is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "-";
            Console.WriteLine($"{r.Benchmark,-14} {r.Case,-40} {r.MedianMs,10:F4} {r.Throughput,12:F1} {r.Unit,-6} {ratio,8}  {r.RatioTo}");
        }
    }
}
