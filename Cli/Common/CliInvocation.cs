using System.CommandLine;
using ILGPUInt8.Kernels.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// What a command's <see cref="CliCommand.Run"/> gets: the parsed values (each read is recorded, so a test can compare the
/// options a command declares with those it reads), the console for results (stdout) and the error writer (stderr).
/// </summary>
public sealed class CliInvocation
{
    private readonly ParseResult _parse;
    private readonly HashSet<string> _read;

    internal CliInvocation(ParseResult parse, IAnsiConsole console, TextWriter error, HashSet<string> read)
    {
        _parse = parse;
        Console = console;
        Error = error;
        _read = read;
    }

    /// <summary>Where results go (stdout).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Where warnings and errors go (stderr).</summary>
    public TextWriter Error { get; }

    /// <summary>The value of an option (its default when not given).</summary>
    public T Get<T>(Option<T> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        _read.Add(option.Name);
        return _parse.GetValue(option)!;
    }

    /// <summary>The value of a required option (the parser has already refused a command line without it).</summary>
    public string Required(Option<string?> option) =>
        Get(option) is { Length: > 0 } v ? v : throw new CliUsageException($"{option?.Name} needs a value.");

    /// <summary>Applies --device for the rest of the command (dispose to restore).</summary>
    public IDisposable UseDevice(Option<string> option) =>
        DeviceChoice.TryParse(Get(option), out var choice) ? choice.Apply() : throw new CliUsageException($"--device: '{Get(option)}' is not auto, cpu, cuda or cuda:N.");

    /// <summary>
    /// Opens the devices a --devices value lists (null when it was not given): a CUDA device the machine lacks is a usage error
    /// naming how many there are. Dispose the set when the command ends.
    /// </summary>
    public static DeviceSet? OpenDevices(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return DeviceSet.Open(DeviceSpec.ParseList(text));
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"--devices {text}: {ex.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>Prints <paramref name="value"/> as indented JSON on stdout.</summary>
    public void WriteJson(object value) => Console.Profile.Out.Writer.WriteLine(JsonOutput.Serialize(value));

    /// <summary>Prints what the importer changed in the model (one "note" line each), unless <paramref name="json"/>.</summary>
    public void PrintNotes(ModelFile model, bool json)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (json)
        {
            return;
        }

        foreach (var note in model.Notes)
        {
            Console.MarkupLineInterpolated($"[grey]note    {note}[/]");
        }
    }
}
