using System.Text.RegularExpressions;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Compares two PTX dumps of one kernel (before and after a change to a generator): identical once ILGPU's run-specific
/// label and parameter numbers are renumbered, or equal up to a one-to-one renaming of registers (moves into the same
/// loop-carried registers may come in another order: ILGPU orders a loop's phi values by when it created them), or
/// different, with the change in the count of each instruction.
/// </summary>
internal static partial class PtxCompare
{
    /// <summary>A one-line verdict, starting with "identical", "renamed" or "DIFFERS".</summary>
    public static string Verdict(string before, string after)
    {
        var b = Normalize(before).Split('\n');
        var a = Normalize(after).Split('\n');
        if (b.AsSpan().SequenceEqual(a))
        {
            return "identical";
        }

        var delta = InstructionDelta(b, a);
        if (b.Length != a.Length)
        {
            return $"DIFFERS: {b.Length} -> {a.Length} lines; instructions {delta}";
        }

        // Runs of adjacent moves that differ somewhere (the values entering a loop's phi registers, whose order ILGPU
        // may change) are compared as sets after the renaming is known from every other line.
        var runs = new List<(int First, int Last)>();
        for (int i = 0; i < b.Length; i++)
        {
            if (!Move().IsMatch(b[i]) || !Move().IsMatch(a[i]))
            {
                continue;
            }

            int last = i;
            while (last + 1 < b.Length && Move().IsMatch(b[last + 1]) && Move().IsMatch(a[last + 1]))
            {
                last++;
            }

            if (Enumerable.Range(i, last - i + 1).Any(k => b[k] != a[k]))
            {
                runs.Add((i, last));
            }

            i = last;
        }

        var deferred = new HashSet<int>(runs.SelectMany(r => Enumerable.Range(r.First, r.Last - r.First + 1)));
        var forward = new Dictionary<string, string>(StringComparer.Ordinal);
        var backward = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < b.Length; i++)
        {
            if (deferred.Contains(i) || (b[i] == a[i] && !Register().IsMatch(b[i])) || b[i].TrimStart().StartsWith(".reg", StringComparison.Ordinal))
            {
                continue;
            }

            if (!Map(b[i], a[i], forward, backward))
            {
                return $"DIFFERS at line {i + 1}: '{b[i].Trim()}' vs '{a[i].Trim()}'; instructions {delta}";
            }
        }

        int moves = 0;
        foreach (var (first, last) in runs)
        {
            var renamed = b[first..(last + 1)]
                .Select(line => Register().Replace(line, m => forward.TryGetValue(m.Value, out var r) ? r : "?" + m.Value))
                .Order(StringComparer.Ordinal);
            if (!renamed.SequenceEqual(a[first..(last + 1)].Order(StringComparer.Ordinal)))
            {
                return $"DIFFERS in the moves at lines {first + 1}..{last + 1}; instructions {delta}";
            }

            moves += last - first + 1;
        }

        int renames = forward.Count(p => p.Key != p.Value);
        return $"renamed: equal up to {renames} register renames ({moves} moves in {runs.Count} runs compared as sets); instructions {delta}";
    }

    /// <summary>Labels and parameter names renumbered in order of appearance (ILGPU numbers them per context).</summary>
    public static string Normalize(string ptx)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        ptx = Label().Replace(ptx, m => labels.TryGetValue(m.Value, out var l) ? l : labels[m.Value] = "L_" + labels.Count);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        return Parameter().Replace(ptx, m => parameters.TryGetValue(m.Value, out var p) ? p : parameters[m.Value] = $"{m.Groups[1].Value}_P{parameters.Count}");
    }

    // Same text once registers are renamed one-to-one (extending the renaming).
    private static bool Map(string before, string after, Dictionary<string, string> forward, Dictionary<string, string> backward)
    {
        if (Register().Replace(before, "%") != Register().Replace(after, "%"))
        {
            return false;
        }

        var rb = Register().Matches(before);
        var ra = Register().Matches(after);
        for (int k = 0; k < rb.Count; k++)
        {
            string x = rb[k].Value, y = ra[k].Value;
            if ((forward.TryGetValue(x, out var fy) && fy != y) || (backward.TryGetValue(y, out var bx) && bx != x))
            {
                return false;
            }

            forward[x] = y;
            backward[y] = x;
        }

        return true;
    }

    // "+2 add.s32, -1 mov.b32" (count after − count before for each opcode that changed), or "unchanged".
    private static string InstructionDelta(string[] before, string[] after)
    {
        var b = Opcodes(before);
        var a = Opcodes(after);
        var changes = b.Keys.Union(a.Keys)
            .Select(k => (Op: k, D: a.GetValueOrDefault(k) - b.GetValueOrDefault(k)))
            .Where(x => x.D != 0)
            .OrderBy(x => x.Op, StringComparer.Ordinal)
            .Select(x => $"{x.D:+0;-0} {x.Op}")
            .ToList();
        return $"{b.Values.Sum()} -> {a.Values.Sum()}" + (changes.Count == 0 ? " (same mix)" : ": " + string.Join(", ", changes));
    }

    private static Dictionary<string, int> Opcodes(string[] lines)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '.' or '/' or '{' or '}' or ')' || line.EndsWith(':'))
            {
                continue;
            }

            var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var op = parts[0].StartsWith('@') && parts.Length > 1 ? parts[1] : parts[0];
            counts[op] = counts.GetValueOrDefault(op) + 1;
        }

        return counts;
    }

    [GeneratedRegex(@"%[a-z]+\d+")]
    private static partial Regex Register();

    [GeneratedRegex(@"^\s*mov\.b\d+\s+%[a-z]+\d+, [^;]+;\s*$")]
    private static partial Regex Move();

    [GeneratedRegex(@"\bL_\d+\b")]
    private static partial Regex Label();

    [GeneratedRegex(@"\b(_[A-Za-z][A-Za-z0-9]*)_(\d+)\b")]
    private static partial Regex Parameter();
}
