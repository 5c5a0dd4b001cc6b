using System.CommandLine;

namespace ILGPUInt8.Cli.Common;

/// <summary>"Did you mean --model?" for misspelt options and commands: the known names closest in edit distance.</summary>
public static class Suggestions
{
    /// <summary>A sentence naming the closest known option or command for each unmatched token, or empty.</summary>
    public static string For(IReadOnlyList<string> unmatched, Command command)
    {
        ArgumentNullException.ThrowIfNull(unmatched);
        ArgumentNullException.ThrowIfNull(command);
        var known = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name))
            .Concat(command.Subcommands.Select(c => c.Name))
            .Distinct(StringComparer.Ordinal).ToList();
        var parts = new List<string>();
        foreach (var token in unmatched.Distinct(StringComparer.Ordinal))
        {
            var name = token.Split('=', 2)[0];
            var best = known.Select(k => (Name: k, Distance: Distance(name, k)))
                .Where(k => k.Distance <= Math.Max(2, name.Length / 3))
                .OrderBy(k => k.Distance).ThenBy(k => k.Name, StringComparer.Ordinal)
                .Take(3).Select(k => k.Name).ToList();
            if (best.Count > 0)
            {
                parts.Add($"For '{token}', did you mean {string.Join(" or ", best)}?");
            }
        }

        return parts.Count == 0 ? string.Empty : " " + string.Join(" ", parts);
    }

    /// <summary>Levenshtein distance: d[i, j] = min(d[i-1, j] + 1, d[i, j-1] + 1, d[i-1, j-1] + (a[i] != b[j])).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitute);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
