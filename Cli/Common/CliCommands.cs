using ILGPUInt8.Cli.Commands;

namespace ILGPUInt8.Cli.Common;

/// <summary>The commands of <c>ilgpu-int8</c>, in help order. A new command: a class in Commands/ and one line here.</summary>
public static class CliCommands
{
    /// <summary>New instances of every command (options are per instance).</summary>
    public static IReadOnlyList<CliCommand> All() =>
    [
        new DemoCommand(),
        new InfoCommand(),
        new CalibrateCommand(),
        new RunCommand(),
        new EvalCommand(),
        new BenchCommand(),
        new ReportCommand(),
    ];
}
