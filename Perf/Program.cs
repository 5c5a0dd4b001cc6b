using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf;

/// <summary>
/// The GPU performance suite: <c>Perf NAME|all [NAME...] [--out DIR] [--repeats N] [--quick] [--device cpu|cuda] ...</c>
/// (System.CommandLine: --help, typed values, unknown options refused with a suggestion). Results are printed as they
/// come, as a table at the end, and written to DIR/perf.json with the device, driver, versions, commit and date.
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

        var names = new Argument<string[]>("benchmarks")
        {
            Description = "benchmarks to run, or all: " + string.Join(", ", benchmarks.Select(b => b.Name)),
            Arity = ArgumentArity.OneOrMore,
        };
        names.AcceptOnlyFromAmong([.. benchmarks.Select(b => b.Name), "all"]);
        var repeats = PerfOptions.Repeats();
        var values = PerfOptions.Values.Select(v => new Option<string?>("--" + v.Name) { Description = v.Description }).ToList();
        var flags = PerfOptions.Flags.Select(f => new Option<bool>("--" + f.Name) { Description = f.Description }).ToList();
        var root = new RootCommand("ILGPUInt8 performance suite: " + string.Join("; ", benchmarks.Select(b => $"{b.Name}: {b.Description}"))) { names, repeats };
        values.ForEach(root.Add);
        flags.ForEach(root.Add);
        root.SetAction(parse =>
        {
            var options = new Dictionary<string, string>(StringComparer.Ordinal) { ["repeats"] = parse.GetValue(repeats).ToString(CultureInfo.InvariantCulture) };
            foreach (var o in values)
            {
                if (parse.GetValue(o) is { } v)
                {
                    options[o.Name.TrimStart('-')] = v;
                }
            }

            foreach (var f in flags.Where(f => parse.GetValue(f)))
            {
                options[f.Name.TrimStart('-')] = "true";
            }

            var selected = parse.GetValue(names)!;
            return Run(selected.Contains("all") ? benchmarks : [.. benchmarks.Where(b => selected.Contains(b.Name))], options);
        });

        // An unknown option is named as such (not as an unknown benchmark), with the options that start alike.
        var known = root.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet(StringComparer.Ordinal);
        var unknown = args.Where(a => a.StartsWith('-') && a != "--" && !known.Contains(a.Split('=', 2)[0])).ToList();
        foreach (var u in unknown)
        {
            var name = u.Split('=', 2)[0].TrimStart('-');
            var alike = known.Where(k => k.StartsWith("--", StringComparison.Ordinal) && name.Length >= 2 && k[2..].StartsWith(name[..2], StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            Console.Error.WriteLine($"Perf: error: unknown option '{u}'{(alike.Any() ? $"; did you mean {string.Join(" or ", alike)}?" : string.Empty)}");
        }

        var result = root.Parse(args);
        if (unknown.Count > 0 || (result.Errors.Count > 0 && result.Action is System.CommandLine.Invocation.ParseErrorAction))
        {
            foreach (var e in result.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal).Where(m => unknown.Count == 0 || !m.Contains("not recognized", StringComparison.Ordinal)))
            {
                Console.Error.WriteLine($"Perf: error: {e}");
            }

            Console.Error.WriteLine("(see `Perf --help`)");
            return 2;
        }

        try
        {
            return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or JsonException)
        {
            Console.Error.WriteLine($"Perf: error: {ex.Message}");
            return 1;
        }
    }

    private static int Run(List<IBenchmark> selected, Dictionary<string, string> options)
    {
        if (options.TryGetValue("device", out var d) && d is not ("cpu" or "cuda"))
        {
            Console.Error.WriteLine($"Perf: error: --device must be cpu or cuda, not '{d}'.");
            return 2;
        }

        var kind = options.TryGetValue("device", out d) ? (d == "cpu" ? DeviceKind.Cpu : DeviceKind.Cuda) : DeviceKind.Auto;
        var device = Int8Device.Shared(kind);
        var driver = device.Accelerator is CudaAccelerator cuda ? cuda.DriverVersion.ToString() : null;
        Console.WriteLine($"device: {device.Accelerator.Name} ({device.Kind}), cc {device.ComputeCapability ?? "-"}, PTX ISA {device.PtxIsa ?? "-"}, driver {driver ?? "-"}");
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
            var json = JsonStyle.Serialize(new
            {
                device = device.Accelerator.Name,
                kind = device.Kind.ToString(),
                compute_capability = device.ComputeCapability,
                ptx_isa = device.PtxIsa,
                driver,
                ilgpu = Informational(typeof(ILGPU.Context).Assembly),
                ilgpu_int8 = Informational(typeof(Program).Assembly),
                commit = Informational(typeof(Program).Assembly).Split('+') is [_, var commit] ? commit : null,
                dotnet = Environment.Version.ToString(),
                date = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
                repeats = context.Repeats,
                peers = context.PeerVersions(),
                ceilings = context.Ceilings,
                results = context.Results,
            });
            AtomicFile.WriteAllText(Path.Combine(outDir, "perf.json"), json);
            Console.WriteLine($"wrote {Path.Combine(outDir, "perf.json")}");
        }

        return 0;
    }

    private static string Informational(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "?";

    private static void PrintTable(List<BenchResult> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{"benchmark",-14} {"case",-40} {"ms",10} {"min",10} {"max",10} {"throughput",12} {"unit",-6} {"ratio",8}  vs");
        foreach (var r in results)
        {
            var ratio = r.Ratio is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "-";
            var min = r.MinMs is { } lo ? lo.ToString("F4", CultureInfo.InvariantCulture) : "-";
            var max = r.MaxMs is { } hi ? hi.ToString("F4", CultureInfo.InvariantCulture) : "-";
            Console.WriteLine($"{r.Benchmark,-14} {r.Case,-40} {r.MedianMs,10:F4} {min,10} {max,10} {r.Throughput,12:F1} {r.Unit,-6} {ratio,8}  {r.RatioTo}");
        }
    }
}
