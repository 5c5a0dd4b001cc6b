using ILGPUInt8.Cli.Commands;
using Spectre.Console;

namespace ILGPUInt8.Cli;

/// <summary>Entry point of <c>ilgpu-int8</c>.</summary>
public static class Program
{
    private static readonly Dictionary<string, (string Help, Func<string[], int> Run)> Commands = new()
    {
        ["info"] = ("devices, ILGPU version, compute capability, PTX ISA, multiprocessors, memory", InfoCommand.Run),
    };

    /// <summary>Runs a command; with no arguments, <c>info</c> (until the demo lands).</summary>
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length == 0)
            {
                return InfoCommand.Run([]);
            }

            if (args[0] is "-h" or "--help" or "help")
            {
                PrintHelp();
                return 0;
            }

            if (!Commands.TryGetValue(args[0], out var command))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]Unknown command '{args[0]}'.[/]");
                PrintHelp();
                return 2;
            }

            return command.Run(args[1..]);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or NotSupportedException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 1;
        }
    }

    private static void PrintHelp()
    {
        var table = new Table().AddColumn("command").AddColumn("what it does");
        foreach (var (name, (help, _)) in Commands)
        {
            table.AddRow(name, help);
        }

        AnsiConsole.MarkupLine("usage: ilgpu-int8 <command> [options]");
        AnsiConsole.Write(table);
    }
}
