using System.Globalization;
using System.Text.RegularExpressions;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// TensorRT's calibration cache text: a header <c>TRT-&lt;version&gt;-&lt;Algorithm&gt;</c>, then one line per tensor
/// <c>name: xxxxxxxx</c> with the big-endian float32 bits of the scale (<see cref="ScaleHex"/>). The header's
/// algorithm follows the method: entropy → EntropyCalibration2, minmax → MinMaxCalibration, any other (percentile,
/// MSE) → LegacyCalibration (TensorRT's user-tuned calibrator). Reading gives entries with threshold = 127 · scale.
/// </summary>
public static partial class TensorRtCache
{
    /// <summary>The TensorRT version number written by default (8.6.1).</summary>
    public const string DefaultVersion = "8601";

    /// <summary>TensorRT's algorithm name for a method name.</summary>
    public static string AlgorithmOf(string method) => method switch
    {
        "entropy" => "EntropyCalibration2",
        "minmax" => "MinMaxCalibration",
        _ => "LegacyCalibration",
    };

    /// <summary>Writes the cache text of <paramref name="table"/>.</summary>
    public static void Write(TextWriter writer, CalibrationTable table, string version = DefaultVersion)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(table);
        if (!VersionPattern().IsMatch(version))
        {
            throw new ArgumentException($"Version '{version}' must be digits, e.g. 8601.", nameof(version));
        }

        writer.Write($"TRT-{version}-{AlgorithmOf(table.Method)}\n");
        foreach (var t in table.Tensors)
        {
            if (t.Name.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Tensor name '{t.Name}' contains a line break.", nameof(table));
            }

            writer.Write($"{t.Name}: {ScaleHex.ToHex(t.Scale)}\n");
        }
    }

    /// <summary>Writes the cache file.</summary>
    public static void Write(string path, CalibrationTable table, string version = DefaultVersion)
    {
        using var writer = new StreamWriter(path);
        Write(writer, table, version);
    }

    /// <summary>Reads a cache file and, when <paramref name="model"/> is given, checks the names against it.</summary>
    public static CalibrationTable Read(string path, ModelSignature? model = null)
    {
        using var reader = new StreamReader(path);
        return Read(reader, model, path);
    }

    /// <summary>Reads cache text; <paramref name="source"/> names it in errors.</summary>
    public static CalibrationTable Read(TextReader reader, ModelSignature? model = null, string source = "TensorRT cache")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine();
        if (header is null || HeaderPattern().Match(header.Trim()) is not { Success: true } match)
        {
            throw new InvalidDataException($"{source}: the first line '{header}' is not a TensorRT calibration header TRT-<version>-<Algorithm>.");
        }

        string method = match.Groups[2].Value switch
        {
            "EntropyCalibration2" or "EntropyCalibration" => "entropy",
            "MinMaxCalibration" => "minmax",
            var other => other,
        };
        var tensors = new List<TensorCalibration>();
        int lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            int colon = line.LastIndexOf(':');
            float scale;
            try
            {
                scale = colon > 0 ? ScaleHex.FromHex(line[(colon + 1)..].Trim()) : throw new FormatException("no ':'");
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"{source}, line {lineNumber}: '{line}' is not 'name: 8 hex digits' ({ex.Message}).", ex);
            }

            if (!float.IsFinite(scale) || scale <= 0f)
            {
                throw new InvalidDataException($"{source}, line {lineNumber}: scale {scale.ToString(CultureInfo.InvariantCulture)} of '{line[..colon]}' must be finite and > 0.");
            }

            tensors.Add(new TensorCalibration(line[..colon], method, scale * 127.0, scale));
        }

        CalibrationTable table;
        try
        {
            table = new CalibrationTable(method, tensors);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }

        if (model is not null)
        {
            table.Validate(model, source);
        }

        return table;
    }

    [GeneratedRegex(@"^TRT-(\d+)-(\w+)$")]
    private static partial Regex HeaderPattern();

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex VersionPattern();
}
