using System.Globalization;

namespace ILGPUInt8.Cli.Common;

/// <summary>A usage error: printed as it is, exit code 2.</summary>
/// <param name="message">What was wrong and how to fix it.</param>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// The options of one command: <c>--name value</c>, <c>--name=value</c> (repeatable) and flags (<c>--json</c>).
/// A command declares the names it knows; anything else is a usage error naming the known ones.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CliArgs()
    {
    }

    /// <summary>Parses <paramref name="args"/> against the known option and flag names (without the dashes).</summary>
    public static CliArgs Parse(string command, IReadOnlyList<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
    {
        var result = new CliArgs();
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
            {
                throw new CliUsageException($"{command}: unexpected argument '{token}' (options start with --; known: {Known(options, flags)}).");
            }

            var name = token[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flags.Contains(name))
            {
                if (value is not null)
                {
                    throw new CliUsageException($"{command}: --{name} is a flag and takes no value.");
                }

                result._flags.Add(name);
                continue;
            }

            if (!options.Contains(name))
            {
                throw new CliUsageException($"{command}: unknown option --{name} (known: {Known(options, flags)}).");
            }

            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new CliUsageException($"{command}: --{name} needs a value.");
                }

                value = args[++i];
            }

            if (!result._values.TryGetValue(name, out var list))
            {
                list = [];
                result._values[name] = list;
            }

            list.Add(value);
        }

        return result;
    }

    /// <summary>True when the flag was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The value of an option given at most once, or null.</summary>
    public string? Optional(string name)
    {
        if (!_values.TryGetValue(name, out var list))
        {
            return null;
        }

        return list.Count == 1 ? list[0] : throw new CliUsageException($"--{name} was given {list.Count} times; give it once.");
    }

    /// <summary>The value of a required option.</summary>
    public string Required(string name, string command) =>
        Optional(name) ?? throw new CliUsageException($"{command}: --{name} is required.");

    /// <summary>Every value of a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    /// <summary>A positive integer option, or <paramref name="fallback"/>.</summary>
    public int PositiveInt(string name, int fallback)
    {
        var text = Optional(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new CliUsageException($"--{name} must be a positive integer, not '{text}'.");
    }

    /// <summary>A number option, or <paramref name="fallback"/>.</summary>
    public double Number(string name, double fallback)
    {
        var text = Optional(name);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new CliUsageException($"--{name} must be a number, not '{text}'.");
    }

    /// <summary>One of <paramref name="choices"/> (case-insensitive), or <paramref name="fallback"/>.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        var text = Optional(name) ?? fallback;
        return choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))
            ?? throw new CliUsageException($"--{name} must be one of {string.Join(", ", choices)}, not '{text}'.");
    }

    private static string Known(IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags) =>
        string.Join(", ", options.Select(o => "--" + o).Concat(flags.Select(f => "--" + f)));
}
