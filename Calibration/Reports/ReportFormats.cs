using System.Globalization;
using System.Text;
using ILGPUInt8.Calibration.IO;

namespace ILGPUInt8.Calibration.Reports;

/// <summary>A report as an aligned text table, as CSV (invariant culture) and as JSON (<see cref="JsonStyle"/>: snake_case, ±Infinity as strings).</summary>
public static class ReportFormats
{
    /// <summary>A readable table, one line per tensor, then a summary line.</summary>
    public static string ToText(CalibrationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rows = report.Rows();
        int nameWidth = Math.Max(6, rows.Count > 0 ? rows.Max(r => r.Name.Length) : 0);
        var text = new StringBuilder();
        text.Append(Inv($"{"tensor".PadRight(nameWidth)}  {"method",-16} {"amax",11} {"threshold",11} {"scale",12} {"clipped",9} {"SQNR dB",8} {"cosine",9} {"max err",10}  flags\n"));
        foreach (var r in rows)
        {
            text.Append(Inv($"{r.Name.PadRight(nameWidth)}  {r.Method ?? "-",-16} {G(r.Amax),11} {G(r.Threshold),11} {G(r.Scale),12} {Percent(r.ClippedShare),9} {Db(r.SqnrDb),8} {F(r.Cosine, "F6"),9} {G(r.MaxAbsError),10}  {(r.Flags == 0 ? "-" : r.Flags.ToString())}\n"));
        }

        var s = report.Summary();
        text.Append(Inv($"summary: {s.Tensors} tensors, {s.Flagged} flagged, max clipped {Percent(s.ClippedMax)}"));
        if (s.Compared > 0)
        {
            text.Append(Inv($"; {s.Compared} compared: SQNR mean {Db(s.SqnrMeanDb)} dB, median {Db(s.SqnrMedianDb)} dB, min {Db(s.SqnrMinDb)} dB (worst {s.WorstTensor}), {s.ExactTensors} exact, cosine min {F(s.CosineMin, "F6")}"));
        }

        return text.Append('\n').ToString();
    }

    /// <summary>CSV with a header line; empty fields where a value is unknown; names quoted when needed.</summary>
    public static string ToCsv(CalibrationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var csv = new StringBuilder("tensor,method,amax,threshold,scale,clipped_share,flags,non_finite,compared,sqnr_db,cosine,max_abs_error\n");
        foreach (var r in report.Rows())
        {
            csv.Append(string.Join(',', Quote(r.Name), Quote(r.Method ?? string.Empty), R(r.Amax), R(r.Threshold), R(r.Scale), R(r.ClippedShare),
                Quote(r.Flags.ToString()), r.NonFinite.ToString(CultureInfo.InvariantCulture), r.Compared.ToString(CultureInfo.InvariantCulture),
                R(r.SqnrDb), R(r.Cosine), R(r.MaxAbsError))).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>JSON: { "schema_version": 1, "summary": …, "tensors": [ … ] }.</summary>
    public static string ToJson(CalibrationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonStyle.Serialize(new { summary = report.Summary(), tensors = report.Rows() });
    }

    /// <summary>Writes report.txt, report.csv and report.json into <paramref name="folder"/>; returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(CalibrationReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        var paths = new[] { Path.Combine(folder, "report.txt"), Path.Combine(folder, "report.csv"), Path.Combine(folder, "report.json") };
        AtomicFile.WriteAllText(paths[0], ToText(report));
        AtomicFile.WriteAllText(paths[1], ToCsv(report));
        AtomicFile.WriteAllText(paths[2], ToJson(report));
        return paths;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string G(double? v) => v is { } x ? x.ToString("G6", CultureInfo.InvariantCulture) : "-";

    private static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Db(double? v) => v switch
    {
        null => "-",
        { } x when double.IsPositiveInfinity(x) => "inf",
        { } x when double.IsNegativeInfinity(x) => "-inf",
        { } x => x.ToString("F2", CultureInfo.InvariantCulture),
    };

    private static string Percent(double? v) => v is { } x ? (x * 100).ToString("G4", CultureInfo.InvariantCulture) + "%" : "-";

    private static string R(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static string Quote(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
