using System.Globalization;
using System.Text;
using ILGPUInt8.Calibration.IO;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// TensorRT's calibration cache text format: a header line <c>TRT-&lt;version&gt;-&lt;Calibrator&gt;</c>, then one line per
/// tensor <c>name: xxxxxxxx</c>, the 8 hex digits being the big-endian IEEE-754 bits of the float32 scale = T / 127
/// (e.g. <c>3c008912</c> = 0.0078451801). Tensor order is kept as written. <see cref="CalibrationTable.ToCache"/> and
/// <see cref="CalibrationTable.FromCache"/> convert to and from the richer table.
/// </summary>
public sealed class CalibrationCache
{
    /// <summary>Creates a cache from a header and scales.</summary>
    public CalibrationCache(string header, IReadOnlyList<KeyValuePair<string, float>> scales)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(header);
        ArgumentNullException.ThrowIfNull(scales);
        Header = header;
        Scales = scales;
    }

    /// <summary>First line, e.g. <c>TRT-8601-EntropyCalibration2</c>.</summary>
    public string Header { get; }

    /// <summary>Tensor name → scale, in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, float>> Scales { get; }

    /// <summary>
    /// The header TensorRT writes for a method (TensorRT 8.6.1 as the nominal version): entropy → EntropyCalibration2,
    /// minmax → MinMaxCalibration, any other (percentile, MSE) → LegacyCalibration, TensorRT's user-tuned calibrator,
    /// the one whose caches TensorRT accepts for thresholds chosen some other way.
    /// </summary>
    public static string HeaderFor(string method) => method switch
    {
        "entropy" => "TRT-8601-EntropyCalibration2",
        "minmax" => "TRT-8601-MinMaxCalibration",
        _ => "TRT-8601-LegacyCalibration",
    };

    /// <summary>The method a header names: EntropyCalibration(2) → entropy, MinMaxCalibration → minmax, else the algorithm name.</summary>
    public string Method
    {
        get
        {
            int dash = Header.LastIndexOf('-');
            string algorithm = dash >= 0 ? Header[(dash + 1)..] : Header;
            return algorithm switch
            {
                "EntropyCalibration2" or "EntropyCalibration" => "entropy",
                "MinMaxCalibration" => "minmax",
                _ => algorithm,
            };
        }
    }

    /// <summary>Reads a cache file.</summary>
    public static CalibrationCache Read(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the cache file (atomically: <see cref="AtomicFile"/>).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, ToText());

    /// <summary>The 8 hex digits of a scale (big-endian float32 bits).</summary>
    public static string ToHex(float scale) => BitConverter.SingleToUInt32Bits(scale).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The scale of 8 hex digits.</summary>
    public static float FromHex(string hex)
    {
        if (hex.Length != 8 || !uint.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var bits))
        {
            throw new FormatException($"'{hex}' is not 8 hex digits.");
        }

        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>The file text.</summary>
    public string ToText()
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (var (name, scale) in Scales)
        {
            text.Append(name).Append(": ").Append(ToHex(scale)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Parses the text; a malformed line is an error naming its line number.</summary>
    public static CalibrationCache Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines.Length == 0 || !lines[0].StartsWith("TRT-", StringComparison.Ordinal))
        {
            throw new FormatException("Line 1: a TensorRT calibration cache starts with a 'TRT-<version>-<calibrator>' header.");
        }

        var scales = new List<KeyValuePair<string, float>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            int colon = line.LastIndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"Line {i + 1}: expected 'name: xxxxxxxx', got '{line}'.");
            }

            var name = line[..colon];
            float scale;
            try
            {
                scale = FromHex(line[(colon + 2)..].Trim());
            }
            catch (FormatException e)
            {
                throw new FormatException($"Line {i + 1}: {e.Message}", e);
            }

            if (!seen.Add(name))
            {
                throw new FormatException($"Line {i + 1}: tensor '{name}' appears twice.");
            }

            scales.Add(new(name, scale));
        }

        return new CalibrationCache(lines[0].Trim(), scales);
    }

    /// <summary>
    /// Checks the cache against a model's tensor names: every name the model needs must be present and every name in the
    /// cache must exist in the model; the error names the missing and unknown tensors.
    /// </summary>
    /// <exception cref="CalibrationTableMismatchException">The names differ.</exception>
    public void CheckAgainst(IEnumerable<string> modelTensors)
    {
        var model = new HashSet<string>(modelTensors, StringComparer.Ordinal);
        var cached = Scales.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var missing = model.Where(m => !cached.Contains(m)).Order(StringComparer.Ordinal).ToList();
        var unknown = cached.Where(c => !model.Contains(c)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unknown.Count > 0)
        {
            throw new CalibrationTableMismatchException(null, missing, unknown);
        }
    }
}
