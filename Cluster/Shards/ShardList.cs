namespace ILGPUInt8.Cluster.Shards;

/// <summary>
/// The shards a job runs over, from what <c>--data</c> names: a folder whose entries are the shards (sub-folders of .npy
/// files, .npy files of [n, ...] samples, IDX image files), or a text file with one shard path a line. Entries are taken in
/// ordinal name order; label files (IDX <c>*labels*</c>, <c>*.labels.npy</c>) and names starting with '.' or '_' are not
/// shards. Every shard gets an id: its position and its name, e.g. <c>0007-part-07</c>, the stem of its result files.
/// </summary>
public static class ShardList
{
    /// <summary>The shards under <paramref name="data"/>; an empty or missing source is an error naming it.</summary>
    public static IReadOnlyList<string> Resolve(string data)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(data);
        string[] shards;
        if (Directory.Exists(data))
        {
            shards = [.. Directory.EnumerateFileSystemEntries(data).Where(IsShard).Order(StringComparer.Ordinal)];
        }
        else if (File.Exists(data) && data.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(data))!;
            shards = [.. File.ReadAllLines(data).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
                .Select(l => Path.GetFullPath(l, folder))];
        }
        else
        {
            throw new FileNotFoundException($"Shard source '{data}' not found: give a folder of shards (.npy folders, .npy files, IDX image files) or a .txt list of shard paths.", data);
        }

        if (shards.Length == 0)
        {
            throw new InvalidDataException($"'{data}' holds no shards (sub-folders of .npy files, .npy files or IDX image files).");
        }

        var missing = shards.FirstOrDefault(s => !File.Exists(s) && !Directory.Exists(s));
        return missing is null ? shards : throw new FileNotFoundException($"Shard '{missing}' listed in '{data}' does not exist.", missing);
    }

    /// <summary>The id of shard <paramref name="index"/>: four digits and the entry's name without extensions.</summary>
    public static string Id(int index, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var stem = dot > 0 ? name[..dot] : name;
        var safe = new string([.. stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        return $"{index:D4}-{safe}";
    }

    private static bool IsShard(string path)
    {
        var name = Path.GetFileName(path);
        if (name.StartsWith('.') || name.StartsWith('_'))
        {
            return false;
        }

        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path, "*.npy", SearchOption.AllDirectories).Any();
        }

        return name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)
            ? !name.EndsWith(".labels.npy", StringComparison.OrdinalIgnoreCase)
            : ShardInput.IsIdxImages(name);
    }
}
