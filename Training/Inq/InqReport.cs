using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace ILGPUInt8.Training.Inq;

/// <summary>INQ's per-step accuracy table (text, CSV) and plot (SVG: test top-1 against the quantized portion).</summary>
public static class InqReport
{
    /// <summary>A fixed-width table: portion, top-1, change against the float model, training loss, seconds.</summary>
    public static string Table(IReadOnlyList<InqStep> rows, int bits)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"INQ {bits}-bit: test top-1 after each step");
        s.AppendLine("| quantized | top-1    | vs float | train loss | seconds |");
        s.AppendLine("| --------- | -------- | -------- | ---------- | ------- |");
        foreach (var r in rows)
        {
            string loss = double.IsNaN(r.TrainLoss) ? "-" : r.TrainLoss.ToString("F4", CultureInfo.InvariantCulture);
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Portion * 100,8:F1}% | {r.Top1 * 100,7:F2}% | {(r.Top1 - rows[0].Top1) * 100,+8:+0.00;-0.00;0.00} | {loss,10} | {r.Seconds,7:F1} |");
        }

        return s.ToString();
    }

    /// <summary>portion,top1,train_loss,seconds per line.</summary>
    public static string Csv(IReadOnlyList<InqStep> rows)
    {
        var s = new StringBuilder("portion,top1,train_loss,seconds\n");
        foreach (var r in rows)
        {
            s.Append(CultureInfo.InvariantCulture, $"{r.Portion:R},{r.Top1:R},{(double.IsNaN(r.TrainLoss) ? "" : r.TrainLoss.ToString("R", CultureInfo.InvariantCulture))},{r.Seconds:F1}\n");
        }

        return s.ToString();
    }

    /// <summary>
    /// The plot model: test top-1 (%) against the share of weights fixed at powers of two (%), one marker a step, the
    /// float model (row 0) as a dashed line.
    /// </summary>
    public static PlotModel Plot(IReadOnlyList<InqStep> rows, int bits)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var model = new PlotModel
        {
            Title = string.Create(CultureInfo.InvariantCulture, $"INQ {bits}-bit: test top-1 after each step"),
            Subtitle = string.Create(CultureInfo.InvariantCulture, $"float {rows[0].Top1 * 100:F2} %, final {rows[^1].Top1 * 100:F2} %"),
            Background = OxyColors.White,
        };
        double lo = Math.Floor((rows.Min(r => r.Top1) * 100) - 0.5), hi = Math.Ceiling((rows.Max(r => r.Top1) * 100) + 0.5);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "weights fixed at powers of two (%)", Minimum = -2, Maximum = 102 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "top-1 (%)", Minimum = lo, Maximum = hi });
        var line = new LineSeries { Color = OxyColor.FromRgb(31, 119, 180), StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 4, Title = "INQ" };
        foreach (var r in rows)
        {
            line.Points.Add(new DataPoint(r.Portion * 100, r.Top1 * 100));
        }

        model.Series.Add(line);
        model.Annotations.Add(new LineAnnotation
        {
            Type = LineAnnotationType.Horizontal,
            Y = rows[0].Top1 * 100,
            Color = OxyColors.Gray,
            LineStyle = LineStyle.Dash,
            Text = "float",
            TextColor = OxyColors.Gray,
        });
        return model;
    }

    /// <summary>The plot as SVG text (OxyPlot's managed exporter, as the calibration histograms).</summary>
    public static string Svg(IReadOnlyList<InqStep> rows, int bits)
    {
        var exporter = new SvgExporter { Width = 640, Height = 400, UseVerticalTextAlignmentWorkaround = true };
        using var stream = new MemoryStream();
        exporter.Export(Plot(rows, bits), stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
