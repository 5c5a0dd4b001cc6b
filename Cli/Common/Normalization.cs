using System.Globalization;

namespace ILGPUInt8.Cli.Common;

/// <summary>How 8-bit pixels become network inputs: x = (pixel / 255 − Mean) / Std.</summary>
/// <param name="Mean">Subtracted after scaling to [0, 1].</param>
/// <param name="Std">Divided by last.</param>
public sealed record Normalization(float Mean, float Std)
{
    /// <summary>Pixels as floats in [0, 1].</summary>
    public static Normalization Unit { get; } = new(0f, 1f);

    /// <summary>Parses <c>mean,std</c> (invariant culture); null gives <see cref="Unit"/>.</summary>
    public static Normalization Parse(string? text)
    {
        if (text is null)
        {
            return Unit;
        }

        var parts = text.Split(',');
        if (parts.Length == 2
            && float.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var mean)
            && float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var std)
            && float.IsFinite(mean) && float.IsFinite(std) && std > 0f)
        {
            return new Normalization(mean, std);
        }

        throw new CliUsageException($"--normalize takes 'mean,std' with std > 0 (e.g. 0.2860,0.3530), not '{text}'.");
    }

    /// <summary>The input value of one pixel value already divided by 255.</summary>
    public float Apply(float unit) => (unit - Mean) / Std;

    /// <inheritdoc />
    public override string ToString() => this == Unit ? "pixels / 255" : string.Create(CultureInfo.InvariantCulture, $"(pixels / 255 - {Mean}) / {Std}");
}
