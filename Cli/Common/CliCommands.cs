using ILGPUInt8.Cli.Commands;

namespace ILGPUInt8.Cli.Common;

/// <summary>The commands of <c>ilgpu-int8</c>, in help order. A new command: a class in Commands/ and one line here (a grouped one also names its group in <see cref="Groups"/>).</summary>
public static class CliCommands
{
    /// <summary>New instances of every command (options are per instance).</summary>
    public static IReadOnlyList<CliCommand> All() =>
    [
        new DemoCommand(),
        new InfoCommand(),
        new CalibrateCommand(),
        new BuildCommand(),
        new RunCommand(),
        new EvalCommand(),
        new BenchCommand(),
        new ReportCommand(),
        new InqCommand(),
        new CompletionCommand(),
        new ClusterHostCommand(),
        new ClusterCalibrateCommand(),
        new ClusterEvalCommand(),
        new ClusterRunCommand(),
    ];

    /// <summary>The command groups (<see cref="CliCommand.Group"/>) and their one-line descriptions.</summary>
    public static IReadOnlyDictionary<string, string> Groups { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cluster"] = "jobs on a Microsoft Orleans cluster: `host` starts a silo; `calibrate`, `eval` and `run` spread shards over the silos",
    };
}
