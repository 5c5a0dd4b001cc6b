using ILGPUInt8.Calibration.IO;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// A table on disk as a pair: TensorRT's cache text and our JSON beside it. <c>X.json</c> pairs with <c>X.cache</c>; any
/// other name <c>P</c> is the cache and <c>P.json</c> the JSON. Both files are written atomically, the cache first, and
/// the JSON embeds the cache's exact text, so the pair can never be read mismatched: the JSON alone is a whole table, and
/// a cache read beside a JSON that embeds a different cache (a write interrupted between the two renames, or files
/// copied from two runs) is an error. The JSON is read in preference: it carries the hashes and the preprocessing.
/// </summary>
public static class CalibrationTablePair
{
    /// <summary>The (cache, JSON) paths for a table path.</summary>
    public static (string Cache, string Json) PathsFor(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        return full.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? (Path.ChangeExtension(full, ".cache"), full)
            : (full, full + ".json");
    }

    /// <summary>Checks both outputs can be written (<see cref="OutputPaths.CheckFile"/>) before any work starts.</summary>
    public static void CheckWritable(string path)
    {
        var (cache, json) = PathsFor(path);
        OutputPaths.CheckFile(cache, "calibration table");
        OutputPaths.CheckFile(json, "calibration table");
    }

    /// <summary>Writes the cache, then the JSON (each atomically); returns their full paths.</summary>
    public static (string Cache, string Json) Write(CalibrationTable table, string path)
    {
        ArgumentNullException.ThrowIfNull(table);
        var (cache, json) = PathsFor(path);
        table.ToCache().Write(cache);
        CalibrationJson.Write(json, table);
        return (cache, json);
    }

    /// <summary>
    /// Reads a table from a JSON or a TensorRT cache path. A cache with its JSON beside it must be that JSON's cache
    /// (then the JSON's richer table is returned); a cache alone is read as TensorRT's. The table is checked for sanity
    /// and, with <paramref name="model"/>, against the model.
    /// </summary>
    public static CalibrationTable Read(string path, ModelSignature? model = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Calibration table '{path}' not found.", path);
        }

        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return CalibrationJson.Read(path, model);
        }

        var text = File.ReadAllText(path);
        foreach (var json in SiblingJsons(path))
        {
            var jsonText = File.ReadAllText(json);
            if (CalibrationJson.EmbeddedCache(jsonText) is not { } embedded)
            {
                continue;
            }

            if (embedded != text.Replace("\r\n", "\n", StringComparison.Ordinal))
            {
                throw new InvalidDataException(
                    $"'{path}' and '{json}' are not one table: the JSON was written with another cache (an interrupted write, or files from two runs). Calibrate again, or read one of them alone.");
            }

            return CalibrationJson.Deserialize(jsonText, model, json);
        }

        CalibrationCache cache;
        try
        {
            cache = CalibrationCache.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }

        return CalibrationTable.FromCache(cache, model, path);
    }

    private static IEnumerable<string> SiblingJsons(string cachePath)
    {
        var full = Path.GetFullPath(cachePath);
        if (File.Exists(full + ".json"))
        {
            yield return full + ".json";
        }

        var changed = Path.ChangeExtension(full, ".json");
        if (changed != full + ".json" && File.Exists(changed))
        {
            yield return changed;
        }
    }
}
