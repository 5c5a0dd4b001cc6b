using System.Globalization;
using System.Text;

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

    /// <summary>An SVG line plot of top-1 (%) against the quantized portion (%), the float model as a dashed line.</summary>
    public static string Svg(IReadOnlyList<InqStep> rows, int bits)
    {
        const int width = 480, height = 300, left = 60, right = 20, top = 30, bottom = 45;
        double lo = Math.Floor((rows.Min(r => r.Top1) * 100) - 0.5), hi = Math.Ceiling((rows.Max(r => r.Top1) * 100) + 0.5);
        double X(double portion) => left + (portion * (width - left - right));
        double Y(double top1) => top + ((hi - (top1 * 100)) / (hi - lo) * (height - top - bottom));
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">INQ {bits}-bit: test top-1 after each step</text>\n");
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        for (double v = lo; v <= hi; v += Math.Max(0.5, Math.Round((hi - lo) / 6 * 2) / 2))
        {
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(v / 100) + 4:F1}\" text-anchor=\"end\">{v:F1}</text>\n");
        }

        foreach (var r in rows)
        {
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(r.Portion):F1}\" y=\"{height - bottom + 15}\" text-anchor=\"middle\">{r.Portion * 100:0.#}</text>\n");
        }

        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">weights fixed at powers of two (%)</text>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{(top + height - bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(top + height - bottom) / 2})\">top-1 (%)</text>\n");
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Y(rows[0].Top1):F1}\" x2=\"{width - right}\" y2=\"{Y(rows[0].Top1):F1}\" stroke=\"gray\" stroke-dasharray=\"4 3\"/>\n");
        s.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
        s.AppendJoin(' ', rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{X(r.Portion):F1},{Y(r.Top1):F1}")));
        s.Append("\"/>\n");
        foreach (var r in rows)
        {
            s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(r.Portion):F1}\" cy=\"{Y(r.Top1):F1}\" r=\"3\" fill=\"#1f77b4\"><title>{r.Portion * 100:0.#}%: {r.Top1 * 100:F2}%</title></circle>\n");
        }

        s.Append("</svg>\n");
        return s.ToString();
    }
}
