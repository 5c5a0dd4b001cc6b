using System.Globalization;
using ILGPUInt8.Calibration;
using Spectre.Console;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// How a calibration is shown, by <c>calibrate</c> and <c>cluster calibrate</c> alike: the thresholds table (tensor, amax,
/// threshold, clipped share, flags), the per-tensor JSON objects of --json, and the warnings on stderr.
/// </summary>
public static class CalibrationOutput
{
    /// <summary>The thresholds table on <paramref name="console"/>.</summary>
    public static void PrintTable(IAnsiConsole console, string method, CalibrationRun calibration)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(calibration);
        var table = new Table().Title($"[bold]{Markup.Escape(method)} thresholds[/]").AddColumn("tensor")
            .AddColumn(new TableColumn("amax").RightAligned()).AddColumn(new TableColumn("threshold").RightAligned())
            .AddColumn(new TableColumn("clipped").RightAligned()).AddColumn("flags");
        foreach (var t in calibration.Table.Tensors)
        {
            var clipped = calibration.Results.TryGetValue(t.Name, out var r) ? (r.ClippedShare * 100).ToString("G3", CultureInfo.InvariantCulture) + " %" : "-";
            table.AddRow(Markup.Escape(t.Name), t.Amax?.ToString("G5", CultureInfo.InvariantCulture) ?? "-", t.Threshold.ToString("G5", CultureInfo.InvariantCulture), clipped, t.Flags.ToString());
        }

        console.Write(table);
    }

    /// <summary>The tensors of --json: name, amax, threshold, scale, clipped share, flags.</summary>
    public static IEnumerable<object> JsonTensors(CalibrationRun calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        return calibration.Table.Tensors.Select(t => new
        {
            name = t.Name,
            amax = t.Amax,
            threshold = t.Threshold,
            scale = t.Scale,
            clipped = calibration.Results.TryGetValue(t.Name, out var r) ? r.ClippedShare : (double?)null,
            flags = t.Flags.ToString(),
        });
    }

    /// <summary>The table's warnings on stderr, unless <paramref name="json"/> (then they are the result's "warnings" field).</summary>
    public static void PrintWarnings(CliInvocation run, CalibrationRun calibration, bool json)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(calibration);
        foreach (var warning in json ? [] : calibration.Table.Warnings)
        {
            run.Error.WriteLine($"ilgpu-int8: warning: {warning}");
        }
    }
}
