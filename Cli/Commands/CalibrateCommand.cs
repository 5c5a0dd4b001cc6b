using System.Globalization;
using System.Text.Json;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Cli.Common;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 calibrate --model M --data D --method entropy --table OUT [--json] [--plots DIR]</c>: runs the FP32
/// network over the calibration data (two passes: ranges, then 2048-bin histograms), chooses every tensor's threshold,
/// writes the table (TensorRT cache and JSON) and, with --plots, one SVG histogram per tensor.
/// </summary>
public static class CalibrateCommand
{
    private static readonly string[] Options = ["model", "data", "method", "table", "plots", "images", "batch", "normalize", "percentile"];
    private static readonly string[] Flags = ["json"];

    /// <summary>Runs the command.</summary>
    public static int Run(IAnsiConsole console, string[] args)
    {
        ArgumentNullException.ThrowIfNull(console);
        var a = CliArgs.Parse("calibrate", args, Options, Flags);
        var modelPath = a.Required("model", "calibrate");
        var dataPath = a.Required("data", "calibrate");
        var tablePath = a.Required("table", "calibrate");
        var method = CalibrationFiles.Method(a.Optional("method") ?? "entropy", a.Number("percentile", 99.99));
        var batch = a.PositiveInt("batch", 100);
        var json = a.Flag("json");

        var model = ModelFile.Load(modelPath);
        var (data, description) = CalibrationData.Open(dataPath, model.SingleInput, batch, a.PositiveInt("images", 1000), Normalization.Parse(a.Optional("normalize")));
        if (!json)
        {
            console.MarkupLineInterpolated($"device  {Engines.DeviceLine()}");
            console.MarkupLineInterpolated($"data    {description}");
        }

        var calibrated = ProgressBars.Run(console, !json, bars => Engines.Calibrate(model, data, method, batch, bars));
        calibrated.Engine.Dispose();
        var run = calibrated.Run;
        var (cache, jsonTable) = CalibrationFiles.Write(run.Table, tablePath);
        var plots = a.Optional("plots") is { } plotDir ? HistogramPlot.WriteAll(Path.GetFullPath(plotDir), run) : [];

        if (json)
        {
            var result = new
            {
                model = modelPath,
                model_sha256 = model.Sha256,
                method = method.Name,
                data = description,
                data_hash = run.Table.DataHash,
                seconds = calibrated.Seconds,
                table = cache,
                table_json = jsonTable,
                plots,
                tensors = run.Table.Tensors.Select(t => new
                {
                    name = t.Name,
                    amax = t.Amax,
                    threshold = t.Threshold,
                    scale = t.Scale,
                    clipped = run.Results.TryGetValue(t.Name, out var r) ? r.ClippedShare : (double?)null,
                    flags = t.Flags.ToString(),
                }),
            };
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(result, JsonOutput.Options));
            return 0;
        }

        var table = new Table().Title($"[bold]{Markup.Escape(method.Name)} thresholds[/]").AddColumn("tensor")
            .AddColumn(new TableColumn("amax").RightAligned()).AddColumn(new TableColumn("threshold").RightAligned())
            .AddColumn(new TableColumn("clipped").RightAligned()).AddColumn("flags");
        foreach (var t in run.Table.Tensors)
        {
            var clipped = run.Results.TryGetValue(t.Name, out var r) ? (r.ClippedShare * 100).ToString("G3", CultureInfo.InvariantCulture) + " %" : "-";
            table.AddRow(Markup.Escape(t.Name), t.Amax?.ToString("G5", CultureInfo.InvariantCulture) ?? "-", t.Threshold.ToString("G5", CultureInfo.InvariantCulture), clipped, t.Flags.ToString());
        }

        console.Write(table);
        console.MarkupLineInterpolated($"calibrated in {calibrated.Seconds:F2} s; table written to {cache} (TensorRT cache) and {jsonTable}");
        if (plots.Count > 0)
        {
            console.MarkupLineInterpolated($"{plots.Count} histogram plots in {Path.GetDirectoryName(plots[0])}");
        }

        return 0;
    }
}
