using System.Globalization;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Methods;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace ILGPUInt8.Calibration.Reports;

/// <summary>
/// Histogram plots with the chosen threshold marked, as SVG (OxyPlot's managed SVG exporter): one bar per non-empty
/// bin over |x| with log-scale counts, a vertical line at T labelled "method T = …", and amax in the title; where the
/// INT8 engine uses another threshold for the tensor (a max pooling's output shares it), a dashed line "engine T = …".
/// </summary>
public static class HistogramPlot
{
    /// <summary>The plot model of one tensor; <paramref name="engineThreshold"/> is marked when it differs from the result's.</summary>
    public static PlotModel Create(TensorHistogram histogram, CalibrationResult result, double? engineThreshold = null)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        ArgumentNullException.ThrowIfNull(result);
        var model = new PlotModel
        {
            Title = histogram.Name,
            Subtitle = string.Create(CultureInfo.InvariantCulture, $"{histogram.Total} values ({histogram.Counts[0]} in bin 0), amax {histogram.Amax:G6}, {histogram.NonFiniteCount} NaN/Inf, {histogram.Batches} batches{(result.Flags == 0 ? string.Empty : ", " + result.Flags)}"),
            Background = OxyColors.White,
        };
        double w = histogram.Amax > 0 ? histogram.BinWidth : 1.0 / HistogramBinning.Bins;
        double marked = Math.Max(result.Threshold, engineThreshold ?? 0);
        double right = Math.Max(histogram.Amax > 0 ? histogram.Amax : 1.0, Math.Min(marked, 2 * Math.Max(histogram.Amax, 1e-30))) * 1.02;
        long max = 1;
        var bars = new RectangleBarSeries { FillColor = OxyColor.FromRgb(70, 110, 170), StrokeThickness = 0 };
        var counts = histogram.Counts;
        for (var b = 0; b < counts.Length; b++)
        {
            if (counts[b] > 0)
            {
                bars.Items.Add(new RectangleBarItem(b * w, 0.5, (b + 1) * w, counts[b]));
                max = Math.Max(max, counts[b]);
            }
        }

        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "|x|", Minimum = 0, Maximum = right });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Left, Title = "count", Minimum = 0.5, Maximum = max * 2.0 });
        model.Series.Add(bars);
        model.Annotations.Add(new LineAnnotation
        {
            Type = LineAnnotationType.Vertical,
            X = Math.Min(result.Threshold, right),
            Color = OxyColors.Red,
            StrokeThickness = 2,
            Text = string.Create(CultureInfo.InvariantCulture, $"{result.Method} T = {result.Threshold:G5}"),
            TextColor = OxyColors.Red,
        });
        if (engineThreshold is double e && Math.Abs(e - result.Threshold) > 1e-6 * result.Threshold)
        {
            model.Annotations.Add(new LineAnnotation
            {
                Type = LineAnnotationType.Vertical,
                X = Math.Min(e, right),
                Color = OxyColors.DarkOrange,
                LineStyle = LineStyle.Dash,
                StrokeThickness = 2,
                Text = string.Create(CultureInfo.InvariantCulture, $"engine T = {e:G5}"),
                TextColor = OxyColors.DarkOrange,
            });
        }

        return model;
    }

    /// <summary>Writes one tensor's plot as an SVG file (the engine's threshold marked when given and different).</summary>
    public static void WriteSvg(string path, TensorHistogram histogram, CalibrationResult result, double width = 900, double height = 450, double? engineThreshold = null)
    {
        var model = Create(histogram, result, engineThreshold);
        // The workaround writes text with explicit offsets: browsers and rsvg ignore SVG's dominant-baseline.
        var exporter = new SvgExporter { Width = width, Height = height, UseVerticalTextAlignmentWorkaround = true };
        AtomicFile.Write(path, stream => exporter.Export(model, stream));
    }

    /// <summary>
    /// Writes a plot per tensor of a run into <paramref name="folder"/> (file names from tensor names); returns the paths.
    /// <paramref name="engineThresholds"/> (tensor name → T the INT8 engine uses) adds the engine's line where it differs.
    /// </summary>
    public static IReadOnlyList<string> WriteAll(string folder, CalibrationRun run, IReadOnlyDictionary<string, float>? engineThresholds = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(folder);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var paths = new List<string>();
        foreach (var h in run.Histograms)
        {
            var file = FileName(h.Name);
            for (var k = 2; !used.Add(file); k++)
            {
                file = FileName(h.Name) + "-" + k.ToString(CultureInfo.InvariantCulture);
            }

            var path = Path.Combine(folder, file + ".svg");
            WriteSvg(path, h, run.Results[h.Name], engineThreshold: engineThresholds is not null && engineThresholds.TryGetValue(h.Name, out var e) ? e : null);
            paths.Add(path);
        }

        return paths;
    }

    private static string FileName(string tensor)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var chars = tensor.Select(c => invalid.Contains(c) || c is ':' or '/' or '\\' or ' ' ? '_' : c).ToArray();
        return chars.Length == 0 ? "tensor" : new string(chars);
    }
}
