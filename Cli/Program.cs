using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using ILGPUInt8.Cli.Common;
using Spectre.Console;

namespace ILGPUInt8.Cli;

/// <summary>
/// Entry point of <c>ilgpu-int8</c>: System.CommandLine parses (POSIX conventions, --help/-h anywhere, typo
/// suggestions, completion through the [suggest] directive), the commands of <see cref="CliCommands.All"/> run, and every
/// error ends here as a message on stderr (and a JSON object on stdout under --json) with exit code 1 (failure) or 2
/// (usage).
/// </summary>
public static class Program
{
    /// <summary>Set to 1 to print the stack trace of an error.</summary>
    public const string TraceVariable = CliErrors.TraceVariable;

    /// <summary>Runs a command; with no command, the demo.</summary>
    public static int Main(string[] args) => Run(args, AnsiConsole.Console, Console.Error);

    /// <summary>
    /// Runs a command writing results to <paramref name="console"/> and errors to <paramref name="error"/> (stderr when
    /// null; tests pass recorders). Returns the exit code.
    /// </summary>
    public static int Run(string[] args, IAnsiConsole console, TextWriter? error = null) => RunTracked(args, console, error, []);

    /// <summary>Like <see cref="Run"/>, recording in <paramref name="read"/> the names of the options the command read.</summary>
    internal static int RunTracked(string[] args, IAnsiConsole console, TextWriter? error, HashSet<string> read)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        error ??= Console.Error;
        var output = console.Profile.Out.Writer;
        var json = args.Contains("--json", StringComparer.Ordinal);
        if (args is ["help", .. var rest])
        {
            // `ilgpu-int8 help [COMMAND]` is `ilgpu-int8 [COMMAND] --help`.
            args = [.. rest, "--help"];
        }

        try
        {
            var root = BuildRoot(console, error, read);
            var parse = root.Parse(args);
            if (parse.Action is ParseErrorAction)
            {
                var command = parse.CommandResult.Command;
                var name = string.Join(' ', ["ilgpu-int8", .. CommandPath(parse.CommandResult)]);
                var message = string.Join(" ", parse.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal))
                    + Suggestions.For(parse.UnmatchedTokens, command) + $" (see `{name} --help`)";
                return CliErrors.Report(new CliError(2, "usage", "ParseError", message), null, error, output, json);
            }

            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            return CliErrors.Report(CliErrors.Describe(ex), ex, error, output, json);
        }
    }

    /// <summary>The parser: the root (the demo's options and action, --version) and one subcommand per command.</summary>
    internal static RootCommand BuildRoot(IAnsiConsole console, TextWriter error, HashSet<string> read)
    {
        var root = new RootCommand("ilgpu-int8: INT8 inference on ILGPU (CUDA, else the CPU). No command: the demo.");
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new VersionAction();
            }
        }

        var demo = new Commands.DemoCommand();
        demo.Configure(root, parse => Invoke(demo, parse, console, error, read));
        var groups = new Dictionary<string, Command>(StringComparer.Ordinal);
        foreach (var command in CliCommands.All())
        {
            var sub = new Command(command.Name, command.Description);
            command.Configure(sub, parse => Invoke(command, parse, console, error, read));
            if (command.Group is { } group)
            {
                if (!groups.TryGetValue(group, out var parent))
                {
                    // A group has no action of its own: `ilgpu-int8 cluster` alone is a usage error listing its commands.
                    parent = new Command(group, CliCommands.Groups[group]);
                    groups[group] = parent;
                    root.Add(parent);
                }

                parent.Add(sub);
            }
            else
            {
                root.Add(sub);
            }
        }

        return root;
    }

    /// <summary>The command words of a parse, outermost first (none for the root).</summary>
    private static List<string> CommandPath(CommandResult? result)
    {
        var names = new List<string>();
        for (var r = result; r is not null && r.Command is not RootCommand; r = r.Parent as CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return names;
    }

    private static int Invoke(CliCommand command, ParseResult parse, IAnsiConsole console, TextWriter error, HashSet<string> read) =>
        command.Run(new CliInvocation(parse, console, error, read));

    /// <summary>--version: the informational version (with the git commit it was built from), ILGPU's and .NET's.</summary>
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            ArgumentNullException.ThrowIfNull(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine($"ilgpu-int8 {CliVersion.Informational} (ILGPU {CliVersion.Ilgpu}, .NET {Environment.Version})");
            return 0;
        }
    }
}
