using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using MathNet.Numerics.Statistics;

namespace ILGPUInt8.Calibration.Reports;

/// <summary>
/// The per-tensor calibration report: threshold, scale, clipped share and flags from the table and histograms, plus
/// the INT8-vs-FP32 error on held-out data fed in as pairs of float arrays per tensor (<see cref="AddComparison"/>,
/// e.g. from running the FP32 and the INT8 engine on the same inputs). Rendered by <see cref="ReportFormats"/>.
/// </summary>
public sealed class CalibrationReport
{
    private readonly CalibrationTable _table;
    private readonly Dictionary<string, TensorHistogram> _histograms;
    private readonly Dictionary<string, QuantizationError> _errors = new(StringComparer.Ordinal);
    private readonly List<string> _comparedOnly = [];

    /// <summary>A report over a table and (optionally) the histograms it was made from.</summary>
    public CalibrationReport(CalibrationTable table, IEnumerable<TensorHistogram>? histograms = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table;
        _histograms = (histograms ?? []).ToDictionary(h => h.Name, StringComparer.Ordinal);
    }

    /// <summary>A report over a finished calibration run.</summary>
    public CalibrationReport(CalibrationRun run)
        : this((run ?? throw new ArgumentNullException(nameof(run))).Table, run.Histograms)
    {
    }

    /// <summary>
    /// Adds one held-out comparison of a tensor: its FP32 values and the INT8 engine's (dequantized) values at the same
    /// positions. Comparisons of one tensor accumulate; a tensor not in the table gets a row of its own.
    /// </summary>
    public void AddComparison(string tensor, ReadOnlySpan<float> fp32, ReadOnlySpan<float> int8)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_errors.TryGetValue(tensor, out var error))
        {
            error = new QuantizationError();
            _errors[tensor] = error;
            if (!_table.Contains(tensor))
            {
                _comparedOnly.Add(tensor);
            }
        }

        error.Add(fp32, int8);
    }

    /// <summary>The rows: table entries in order, then tensors only compared.</summary>
    public IReadOnlyList<TensorReportRow> Rows()
    {
        var rows = new List<TensorReportRow>();
        foreach (var t in _table.Tensors)
        {
            _histograms.TryGetValue(t.Name, out var h);
            _errors.TryGetValue(t.Name, out var e);
            rows.Add(new TensorReportRow(t.Name, t.Method, t.Amax, t.Threshold, t.Scale, h is null ? null : CalibrationResult.Clipped(h, t.Threshold),
                t.Flags, t.NonFinite, e?.Count ?? 0, e?.SqnrDb, e?.Cosine, e?.MaxAbsError));
        }

        foreach (var name in _comparedOnly)
        {
            var e = _errors[name];
            rows.Add(new TensorReportRow(name, null, null, null, null, null, CalibrationFlags.None, 0, e.Count, e.SqnrDb, e.Cosine, e.MaxAbsError));
        }

        return rows;
    }

    /// <summary>Summary statistics over the rows (MathNet): SQNR and cosine of the compared tensors, clipped shares, flags.</summary>
    public ReportSummary Summary()
    {
        var rows = Rows();
        var compared = rows.Where(r => r.SqnrDb is not null).ToList();
        var finiteSqnr = compared.Where(r => double.IsFinite(r.SqnrDb!.Value)).Select(r => r.SqnrDb!.Value).ToList();
        var sqnr = finiteSqnr.Count > 0 ? new DescriptiveStatistics(finiteSqnr) : null;
        var worst = compared.OrderBy(r => r.SqnrDb).FirstOrDefault();
        var clipped = rows.Where(r => r.ClippedShare is not null).Select(r => r.ClippedShare!.Value).ToList();
        return new ReportSummary(
            rows.Count,
            compared.Count,
            sqnr?.Mean,
            finiteSqnr.Count > 0 ? finiteSqnr.Median() : null,
            sqnr?.Minimum,
            compared.Count(r => double.IsPositiveInfinity(r.SqnrDb!.Value)),
            worst?.Name,
            compared.Count > 0 ? compared.Min(r => r.Cosine!.Value) : null,
            clipped.Count > 0 ? clipped.Max() : null,
            rows.Count(r => r.Flags != CalibrationFlags.None));
    }
}

/// <summary>Summary of a report.</summary>
/// <param name="Tensors">Rows in the report.</param>
/// <param name="Compared">Rows with an INT8-vs-FP32 comparison.</param>
/// <param name="SqnrMeanDb">Mean SQNR over compared tensors with a finite SQNR.</param>
/// <param name="SqnrMedianDb">Median of the same.</param>
/// <param name="SqnrMinDb">Minimum of the same.</param>
/// <param name="ExactTensors">Compared tensors with no error at all (SQNR +Inf).</param>
/// <param name="WorstTensor">The compared tensor with the lowest SQNR.</param>
/// <param name="CosineMin">Lowest cosine similarity.</param>
/// <param name="ClippedMax">Largest clipped share.</param>
/// <param name="Flagged">Rows with any flag.</param>
public sealed record ReportSummary(int Tensors, int Compared, double? SqnrMeanDb, double? SqnrMedianDb, double? SqnrMinDb, int ExactTensors, string? WorstTensor, double? CosineMin, double? ClippedMax, int Flagged);
