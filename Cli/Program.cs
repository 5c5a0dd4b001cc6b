using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Commands;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers;
using ILGPUInt8.Layers.Onnx;
using Spectre.Console;

namespace ILGPUInt8.Cli;

/// <summary>Entry point of <c>ilgpu-int8</c>.</summary>
public static class Program
{
    private static readonly (string Name, string Usage, Func<IAnsiConsole, string[], int> Run)[] Commands =
    [
        ("demo", "(the default) Fashion-MNIST CNN: entropy calibration, FP32 vs INT8 top-1, speed, per-layer SQNR [--out DIR] [--data DIR] [--shipped] [--method entropy|minmax|percentile|mse]", DemoCommand.Run),
        ("info", "devices, ILGPU version, compute capability, PTX ISA, multiprocessors, memory", InfoCommand.Run),
        ("calibrate", "--model M.onnx --data DIR|X.npy|NPY_DIR [--method entropy|minmax|percentile|mse] --table OUT [--json] [--plots DIR] [--images 1000] [--normalize mean,std]", CalibrateCommand.Run),
        ("run", "--model M.onnx [--precision fp32|int8] [--table T] --input [name=]x.npy|x.pb ... --output [name=]y.npy|y.pb ...", RunCommand.Run),
        ("eval", "--model M.onnx --data IDX_DIR [--table T] [--json] [--normalize mean,std] [--images N] [--calibration-images 1000]", EvalCommand.Run),
        ("bench", "--model M.onnx|synthetic:resnet18 [--batch 64] [--precision fp32|int8|both] [--iterations 20] [--json]", BenchCommand.Run),
        ("report", "--model M.onnx --data IDX_DIR [--table T] [--out DIR] [--images 200] [--normalize mean,std] [--json]: per-tensor INT8 error vs FP32", ReportCommand.Run),
    ];

    /// <summary>Set to 1 to print the stack trace of an error.</summary>
    public const string TraceVariable = "ILGPUINT8_TRACE";

    /// <summary>Runs a command; with no arguments, the demo.</summary>
    public static int Main(string[] args) => Run(args, AnsiConsole.Console);

    /// <summary>Runs a command writing to <paramref name="console"/> (tests pass a recording console). Returns the exit code.</summary>
    public static int Run(string[] args, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        try
        {
            if (args.Length == 0 || (args[0].StartsWith("--", StringComparison.Ordinal) && args[0] != "--help"))
            {
                // No command: the demo (its options may follow directly).
                return DemoCommand.Run(console, args);
            }

            if (args[0] is "-h" or "--help" or "help")
            {
                PrintHelp(console);
                return 0;
            }

            var command = Commands.FirstOrDefault(c => c.Name == args[0]);
            if (command.Run is null)
            {
                console.MarkupLineInterpolated($"[red]error:[/] unknown command '{args[0]}'.");
                PrintHelp(console);
                return 2;
            }

            if (args.Length > 1 && args[1] is "-h" or "--help")
            {
                console.MarkupLineInterpolated($"usage: ilgpu-int8 {command.Name} {command.Usage}");
                return 0;
            }

            return command.Run(console, args[1..]);
        }
        catch (CliUsageException ex)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OnnxImportException or NetworkException or CalibrationTableMismatchException
            or ArgumentException or InvalidOperationException or NotSupportedException or UnauthorizedAccessException or FormatException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            if (Environment.GetEnvironmentVariable(TraceVariable) == "1")
            {
                console.WriteLine(ex.ToString());
            }

            return 1;
        }
    }

    private static void PrintHelp(IAnsiConsole console)
    {
        var table = new Table().AddColumn("command").AddColumn("options");
        foreach (var (name, usage, _) in Commands)
        {
            table.AddRow(name, Markup.Escape(usage));
        }

        console.MarkupLine("usage: ilgpu-int8 [[command]] [[options]]   (no command: the demo)");
        console.Write(table);
    }
}
