using System.Globalization;

namespace ILGPUInt8.Calibration.Data;

/// <summary>
/// How raw data becomes a network input: <c>x = (raw · Scale − Mean[c]) / Std[c]</c> per channel c (one Mean/Std for
/// every channel when a single value is given), laid out as <see cref="Layout"/>. A calibration table records the
/// preprocessing its data had: ranges measured on differently prepared inputs do not fit the engine's inputs
/// (the engine builder refuses such a table). Text form, as in ONNX <c>metadata_props</c> under <see cref="MetadataKey"/>:
/// <c>scale=0.00392156862745098;mean=0.286;std=0.353;layout=NCHW</c> (several channels: <c>mean=0.485,0.456,0.406</c>).
/// </summary>
public sealed record Preprocessing
{
    /// <summary>The ONNX <c>metadata_props</c> key our models carry their preprocessing under.</summary>
    public const string MetadataKey = "ilgpu-int8.preprocessing";

    /// <summary>Creates a preprocessing; Mean and Std have the same count (≥ 1), Std &gt; 0, all finite.</summary>
    public Preprocessing(double scale, IReadOnlyList<double> mean, IReadOnlyList<double> std, string layout = "NCHW")
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        ArgumentException.ThrowIfNullOrWhiteSpace(layout);
        if (!double.IsFinite(scale) || scale <= 0)
        {
            throw new ArgumentException($"The preprocessing scale ({scale}) must be finite and > 0.", nameof(scale));
        }

        if (mean.Count == 0 || mean.Count != std.Count || mean.Any(m => !double.IsFinite(m)) || std.Any(s => !double.IsFinite(s) || s <= 0))
        {
            throw new ArgumentException($"The preprocessing needs as many finite means as stds (> 0), got mean [{Join(mean)}] and std [{Join(std)}].", nameof(std));
        }

        Scale = scale;
        Mean = [.. mean];
        Std = [.. std];
        Layout = layout.Trim().ToUpperInvariant();
    }

    /// <summary>Raw 8-bit pixels divided by 255: x = pixel / 255.</summary>
    public static Preprocessing UnitPixels { get; } = new(1.0 / 255.0, [0.0], [1.0]);

    /// <summary>Multiplies the raw value first (1/255 for 8-bit pixels).</summary>
    public double Scale { get; }

    /// <summary>Subtracted after scaling, per channel (or one for all).</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Divided by last, per channel (or one for all).</summary>
    public IReadOnlyList<double> Std { get; }

    /// <summary>Layout of the prepared tensor (NCHW for our engines' inputs).</summary>
    public string Layout { get; }

    /// <summary>x for a raw value of channel c.</summary>
    public float Apply(float raw, int channel = 0)
    {
        var c = Mean.Count == 1 ? 0 : channel;
        return (float)(((raw * Scale) - Mean[c]) / Std[c]);
    }

    /// <summary>
    /// True when both prepare inputs the same way: same layout, and scale, means and stds equal to within 1e-6 relative
    /// (text round trips and float/double conversions do not make a difference).
    /// </summary>
    public bool Matches(Preprocessing other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Layout == other.Layout && Near(Scale, other.Scale) && Mean.Count == other.Mean.Count
            && Mean.Zip(other.Mean).All(p => Near(p.First, p.Second)) && Std.Zip(other.Std).All(p => Near(p.First, p.Second));
    }

    /// <summary>Parses the text form (<see cref="ToText"/>); an error names what is wrong.</summary>
    public static Preprocessing Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        double scale = 1;
        IReadOnlyList<double>? mean = null, std = null;
        var layout = "NCHW";
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq > 0 ? part[..eq].Trim().ToLowerInvariant() : string.Empty;
            var value = eq > 0 ? part[(eq + 1)..].Trim() : string.Empty;
            switch (key)
            {
                case "scale":
                    scale = Number(value, text);
                    break;
                case "mean":
                    mean = [.. value.Split(',').Select(v => Number(v, text))];
                    break;
                case "std":
                    std = [.. value.Split(',').Select(v => Number(v, text))];
                    break;
                case "layout":
                    layout = value;
                    break;
                default:
                    throw new FormatException($"Preprocessing '{text}': unknown part '{part}' (expected scale=, mean=, std=, layout=).");
            }
        }

        try
        {
            return new Preprocessing(scale, mean ?? [0.0], std ?? [1.0], layout.Length == 0 ? "NCHW" : layout);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"Preprocessing '{text}': {ex.Message}", ex);
        }
    }

    /// <summary>The text form: <c>scale=…;mean=…;std=…;layout=…</c> (round-trip numbers).</summary>
    public string ToText() => $"scale={R(Scale)};mean={Join(Mean)};std={Join(Std)};layout={Layout}";

    /// <inheritdoc />
    public override string ToString() =>
        $"(x · {Scale.ToString("G6", CultureInfo.InvariantCulture)} − mean [{string.Join(", ", Mean.Select(m => m.ToString("G6", CultureInfo.InvariantCulture)))}]) / std [{string.Join(", ", Std.Select(s => s.ToString("G6", CultureInfo.InvariantCulture)))}], {Layout}";

    /// <inheritdoc />
    public bool Equals(Preprocessing? other) => other is not null && Matches(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Layout, Mean.Count);

    private static bool Near(double a, double b) => Math.Abs(a - b) <= 1e-6 * Math.Max(Math.Abs(a), Math.Abs(b)) || a == b;

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Join(IEnumerable<double> values) => string.Join(",", values.Select(R));

    private static double Number(string text, string whole) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"Preprocessing '{whole}': '{text}' is not a number.");
}
