using System.CommandLine;
using System.Reflection;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// One command of <c>ilgpu-int8</c>: a class in <c>Commands/</c> (one file each) with its options as fields made by
/// <see cref="CliOptions"/>, read through <see cref="CliInvocation.Get{T}"/> at the top of <see cref="Run"/>. Every
/// <see cref="Option"/> field becomes an option of the command, in declaration order (a test checks that the command
/// reads each one). To add a command: derive from this class and list it in <see cref="CliCommands.All"/>.
/// </summary>
public abstract class CliCommand
{
    /// <summary>The command's name (<c>ilgpu-int8 NAME</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The command group it belongs to (<c>ilgpu-int8 GROUP NAME</c>, e.g. <c>cluster</c>), or null for a top-level command.</summary>
    public virtual string? Group => null;

    /// <summary>The words that invoke it: <c>NAME</c>, or <c>GROUP NAME</c>.</summary>
    public string FullName => Group is null ? Name : $"{Group} {Name}";

    /// <summary>One line for --help.</summary>
    public abstract string Description { get; }

    /// <summary>The option fields, in declaration order.</summary>
    public IReadOnlyList<Option> Options =>
        [.. GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(f => typeof(Option).IsAssignableFrom(f.FieldType))
            .OrderBy(f => f.MetadataToken)
            .Select(f => (Option)f.GetValue(this)!)];

    /// <summary>Runs the command; returns the exit code (errors are exceptions: <see cref="CliUsageException"/> exits 2).</summary>
    public abstract int Run(CliInvocation run);

    /// <summary>Adds the options to <paramref name="command"/> and makes <paramref name="action"/> its action.</summary>
    internal void Configure(Command command, Func<ParseResult, int> action)
    {
        foreach (var option in Options)
        {
            command.Add(option);
        }

        command.SetAction(action);
    }
}
