using System.Globalization;
using ILGPUInt8.Calibration.Data;

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

    /// <summary>The library's record of this normalization: x = (p · 1/255 − Mean) / Std, NCHW.</summary>
    public Preprocessing ToPreprocessing() => new(1.0 / 255.0, [Mean], [Std]);

    /// <summary>
    /// The normalization to use: <c>--normalize</c> when given, else the model's own (its ONNX metadata), else pixels / 255
    /// with a warning on <paramref name="warnings"/> (stderr): a model trained on normalized pixels gives nonsense otherwise.
    /// </summary>
    public static Normalization Resolve(string? text, ModelFile model, TextWriter warnings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(warnings);
        if (text is not null)
        {
            var given = Parse(text);
            if (FromModel(model) is { } own && (Math.Abs(own.Mean - given.Mean) > 1e-4f || Math.Abs(own.Std - given.Std) > 1e-4f))
            {
                warnings.WriteLine($"ilgpu-int8: warning: --normalize gives {given}, but '{model.Path}' says its inputs are {own} (its metadata); results will be off unless the model really expects {given}.");
            }

            return given;
        }

        if (model.Preprocessing is { } p)
        {
            if (FromModel(model) is { } own)
            {
                return own;
            }

            warnings.WriteLine($"ilgpu-int8: warning: the model's preprocessing {p} does not apply to 8-bit single-channel images; using pixels / 255 (give --normalize mean,std).");
            return Unit;
        }

        warnings.WriteLine($"ilgpu-int8: warning: '{model.Path}' does not say how its inputs are prepared (no '{Preprocessing.MetadataKey}' metadata); using pixels / 255. Give --normalize mean,std if it was trained on normalized pixels.");
        return Unit;
    }

    /// <summary>The model's own normalization (its ONNX metadata) when it applies to 8-bit single-channel NCHW images, else null.</summary>
    private static Normalization? FromModel(ModelFile model) =>
        model.Preprocessing is { } p && p.Mean.Count == 1 && Math.Abs((p.Scale * 255.0) - 1.0) < 1e-6 && p.Layout == "NCHW"
            ? new Normalization((float)p.Mean[0], (float)p.Std[0])
            : null;

    /// <summary>The input value of one pixel value already divided by 255.</summary>
    public float Apply(float unit) => (unit - Mean) / Std;

    /// <inheritdoc />
    public override string ToString() => this == Unit ? "pixels / 255" : string.Create(CultureInfo.InvariantCulture, $"(pixels / 255 - {Mean}) / {Std}");
}
