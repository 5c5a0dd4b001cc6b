using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Option factories shared by the commands: every option has a description, its default shown in --help, a type and a
/// range. Each call makes a new option (an option belongs to one command).
/// </summary>
public static class CliOptions
{
    /// <summary>Largest batch any command accepts (larger ones overflow the engine's int32 tensor sizes).</summary>
    public const int MaxBatch = 65536;

    /// <summary>Smallest TCP port the cluster commands accept (below are privileged ports).</summary>
    public const int MinPort = 1024;

    /// <summary>Largest TCP port.</summary>
    public const int MaxPort = 65535;

    /// <summary>An integer option in [<paramref name="min"/>, <paramref name="max"/>] with a default.</summary>
    public static Option<int> Int(string name, string description, int fallback, int min = 1, int max = int.MaxValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback, HelpName = "N" };
        option.Validators.Add(r =>
        {
            if (TryValue<int>(r, out var v))
            {
                CheckRange(r, v, min, max);
            }
        });
        return option;
    }

    /// <summary>An optional integer option in [<paramref name="min"/>, <paramref name="max"/>] (null when not given).</summary>
    public static Option<int?> OptionalInt(string name, string description, int min = 1, int max = int.MaxValue)
    {
        var option = new Option<int?>(name) { Description = description, HelpName = "N" };
        option.Validators.Add(r =>
        {
            if (TryValue<int?>(r, out var value) && value is { } v)
            {
                CheckRange(r, v, min, max);
            }
        });
        return option;
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>] with a default.</summary>
    public static Option<double> Number(string name, string description, double fallback, double min, double max)
    {
        var option = new Option<double>(name) { Description = description, DefaultValueFactory = _ => fallback, HelpName = "X" };
        option.Validators.Add(r =>
        {
            if (TryValue<double>(r, out var v) && (!double.IsFinite(v) || v < min || v > max))
            {
                r.AddError(string.Create(CultureInfo.InvariantCulture, $"{r.Option.Name} must be a number in [{min}, {max}], not '{Text(r)}'."));
            }
        });
        return option;
    }

    /// <summary>An optional finite number in [<paramref name="min"/>, <paramref name="max"/>] (null when not given).</summary>
    public static Option<double?> OptionalNumber(string name, string description, double min, double max)
    {
        var option = new Option<double?>(name) { Description = description, HelpName = "X" };
        option.Validators.Add(r =>
        {
            if (TryValue<double?>(r, out var value) && value is { } v && (!double.IsFinite(v) || v < min || v > max))
            {
                r.AddError(string.Create(CultureInfo.InvariantCulture, $"{r.Option.Name} must be a number in [{min}, {max}], not '{Text(r)}'."));
            }
        });
        return option;
    }

    /// <summary>A TCP port in [1024, 65535] (unprivileged) with a default.</summary>
    public static Option<int> Port(string name, string description, int fallback) => Int(name, description, fallback, MinPort, MaxPort);

    /// <summary>An optional TCP port in [1024, 65535].</summary>
    public static Option<int?> OptionalPort(string name, string description) => OptionalInt(name, description, MinPort, MaxPort);

    /// <summary>One or more TCP ports in [1024, 65535] (<c>--gateway 30000 30001</c> or repeated), with a default.</summary>
    public static Option<int[]> Ports(string name, string description, int fallback)
    {
        var option = new Option<int[]>(name)
        {
            Description = description,
            HelpName = "PORT",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [fallback],
        };
        option.Validators.Add(r =>
        {
            if (TryValue<int[]>(r, out var ports) && ports.Where(p => p is < MinPort or > MaxPort).Select(p => (int?)p).FirstOrDefault() is { } bad)
            {
                r.AddError($"{r.Option.Name} takes ports in [{MinPort}, {MaxPort}], not '{bad}'.");
            }
        });
        return option;
    }

    /// <summary>One of <paramref name="choices"/> (completion lists them), with a default.</summary>
    public static Option<string> Choice(string name, string description, string fallback, params string[] choices)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => fallback };
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    /// <summary>A string option (a path, usually); <paramref name="required"/> makes leaving it out a usage error.</summary>
    public static Option<string?> Text(string name, string description, string helpName = "PATH", bool required = false) =>
        new(name) { Description = description, HelpName = helpName, Required = required };

    /// <summary>A string option with a default.</summary>
    public static Option<string> TextWithDefault(string name, string description, string fallback, string helpName = "PATH") =>
        new(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => fallback };

    /// <summary>A repeatable string option (<c>--input a --input b</c>).</summary>
    public static Option<string[]> Repeated(string name, string description, string helpName) =>
        new(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.OneOrMore, DefaultValueFactory = _ => [] };

    /// <summary>A flag.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>--integer-only: the integer-only INT8 switch of build, eval and demo.</summary>
    public static Option<bool> IntegerOnly() =>
        Flag("--integer-only", "INT8 with integers and shifts only (Q31 requantize, integer-built tables, integer softmax); fails naming any layer left in float");

    /// <summary>--model: an ONNX file or synthetic:NAME.</summary>
    public static Option<string?> Model() =>
        Text("--model", "the ONNX model (FP32, or QDQ-quantized: its own ranges), or synthetic:small-cnn | synthetic:resnet18 | synthetic:resnet50", "M.onnx", required: true);

    /// <summary>--json: machine-readable output on stdout (errors too, as {"error": ...}).</summary>
    public static Option<bool> Json() => Flag("--json", "print the result as JSON on stdout (an error as {\"error\": {...}})");

    /// <summary>--table: a calibration table from `calibrate`.</summary>
    public static Option<string?> Table() =>
        Text("--table", "calibration table from `ilgpu-int8 calibrate` (TensorRT cache or our JSON); checked against the model", "T");

    /// <summary>--normalize mean,std for 8-bit images.</summary>
    public static Option<string?> Normalize() =>
        Text("--normalize", "8-bit pixels become (p/255 - mean) / std (default: the model's own preprocessing from its metadata, else p/255 with a warning)", "MEAN,STD");

    /// <summary>--allow-missing NAME...: tensors a --table may lack (the layers around them run FP32).</summary>
    public static Option<string[]> AllowMissing() =>
        Repeated("--allow-missing", "tensors the --table may lack: the layers that read or write them run FP32 (without it a missing tensor is an error)", "NAME");

    /// <summary>--method: the calibration method.</summary>
    public static Option<string> Method(string fallback = "entropy") =>
        Choice("--method", "calibration method", fallback, "entropy", "minmax", "percentile", "mse");

    /// <summary>--method without a default (commands where leaving it out means "use the model's own ranges").</summary>
    public static Option<string?> OptionalMethod(string description)
    {
        var option = new Option<string?>("--method") { Description = description };
        option.AcceptOnlyFromAmong("entropy", "minmax", "percentile", "mse");
        return option;
    }

    /// <summary>--device: cpu, cuda or cuda:N (auto: CUDA when found, else the CPU backend); <paramref name="what"/> names what runs there.</summary>
    public static Option<string> Device(string what = "engines")
    {
        var option = new Option<string>("--device")
        {
            Description = $"where {what} run: auto (CUDA when found, else the CPU backend), cpu, cuda or cuda:N (overrides ILGPUINT8_DEVICE)",
            DefaultValueFactory = _ => "auto",
            HelpName = "auto|cpu|cuda[:N]",
        };
        option.Validators.Add(r =>
        {
            if (!DeviceChoice.TryParse(r.GetValueOrDefault<string>(), out _))
            {
                r.AddError($"--device must be auto, cpu, cuda or cuda:N, not '{Text(r)}'.");
            }
        });
        option.CompletionSources.Add("auto", "cpu", "cuda", "cuda:0");
        return option;
    }

    /// <summary>
    /// --devices: several devices at once (data parallel), parsed by <see cref="DeviceSpec.ParseList"/>: cpu,cpu |
    /// cuda:0,cuda:1 | all; a cpu may repeat (each its own CPU accelerator). Null when not given (one device, --device).
    /// </summary>
    public static Option<string?> Devices(string what = "batches")
    {
        var option = new Option<string?>("--devices")
        {
            Description = $"spread {what} over several devices of this host: cuda:0,cuda:1, all (every CUDA device), or cpu,cpu (a cpu may repeat); overrides --device",
            HelpName = "LIST",
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text)
            {
                try
                {
                    DeviceSpec.ParseList(text);
                }
                catch (ArgumentException ex)
                {
                    r.AddError($"--devices: {ex.Message.Split(" (Parameter", 2)[0]}");
                }
            }
        });
        option.CompletionSources.Add("all", "cpu,cpu", "cuda:0,cuda:1");
        return option;
    }

    /// <summary>--split: how --devices hands batches out (<see cref="DataParallel.Split"/> reads it).</summary>
    public static Option<string> Split() =>
        Choice("--split", "with --devices: stealing (each device takes the next batch when free) or static (device d of N runs the d-th contiguous share)", "stealing", "stealing", "static");

    /// <summary>The parsed value, or false when the text does not parse (the parser reports that error itself).</summary>
    private static bool TryValue<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException ex)
        {
            r.AddError(ex.Message);
            value = default!;
            return false;
        }
    }

    private static void CheckRange(OptionResult r, long v, long min, long max)
    {
        if (v < min || v > max)
        {
            var range = max == int.MaxValue ? $"at least {min}" : $"in [{min}, {max}]";
            r.AddError($"{r.Option.Name} must be an integer {range}, not '{Text(r)}'.");
        }
    }

    private static string Text(OptionResult r) => string.Join(' ', r.Tokens.Select(t => t.Value));
}
