using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Cli.Common;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 report --model M --data IDX_DIR [--table T] [--out DIR]</c>: the per-tensor INT8 error against FP32
/// on held-out test images (SQNR, cosine, max |error|, with each tensor's threshold and clipped share), written as
/// report.txt/.csv/.json. Without --table it calibrates (entropy) on the folder's training images first and also writes
/// the table and one histogram plot per tensor.
/// </summary>
public static class ReportCommand
{
    private static readonly string[] Options = ["model", "data", "table", "out", "images", "calibration-images", "normalize", "method"];
    private static readonly string[] Flags = ["json"];

    /// <summary>Runs the command.</summary>
    public static int Run(IAnsiConsole console, string[] args)
    {
        ArgumentNullException.ThrowIfNull(console);
        var a = CliArgs.Parse("report", args, Options, Flags);
        var modelPath = a.Required("model", "report");
        var folder = a.Required("data", "report");
        var outDir = Path.GetFullPath(a.Optional("out") ?? "ilgpu-int8-report");
        var json = a.Flag("json");
        var norm = Normalization.Parse(a.Optional("normalize"));
        var model = ModelFile.Load(modelPath);
        var input = model.SingleInput;
        var testFiles = IdxFolder.Require(folder, train: false);
        var held = LabelledImages.Load(testFiles.Images, null, norm, 0, a.PositiveInt("images", 200));
        if (!json)
        {
            console.MarkupLineInterpolated($"device  {Engines.DeviceLine()}");
        }

        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        CalibrationReport report;
        Layers.Engine int8;
        if (a.Optional("table") is { } tablePath)
        {
            var table = CalibrationFiles.ReadTable(tablePath, model);
            report = new CalibrationReport(table);
            int8 = Engines.Int8(model, 50, Layers.CalibrationTableExtensions.ToThresholds(table));
        }
        else
        {
            var trainFiles = IdxFolder.Find(folder, train: true)
                ?? throw new CliUsageException($"No training images in '{folder}' to calibrate on: give --table.");
            var calibration = LabelledImages.Load(trainFiles.Images, null, norm, 0, a.PositiveInt("calibration-images", 1000));
            var method = CalibrationFiles.Method(a.Optional("method") ?? "entropy");
            var c = ProgressBars.Run(console, !json, bars => Engines.Calibrate(model, calibration.AsDataSource(input, Math.Min(100, calibration.Count)), method, 50, bars));
            report = new CalibrationReport(c.Run);
            int8 = c.Engine;
            var (cache, tableJson) = CalibrationFiles.Write(c.Run.Table, Path.Combine(outDir, "calibration.cache"));
            written.Add(cache);
            written.Add(tableJson);
            written.AddRange(HistogramPlot.WriteAll(Path.Combine(outDir, "plots"), c.Run, c.Engine.Int8Thresholds));
        }

        var engineThresholds = int8.Int8Thresholds;
        using (int8)
        using (var fp32 = Engines.Fp32(ModelFile.Load(modelPath).Network, 50))
        {
            LayerErrors.Compare(fp32, int8, held, held.Count, 50, report);
        }

        written.InsertRange(0, ReportFormats.WriteAll(report, outDir));
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(ReportFormats.ToJson(report));
            return 0;
        }

        console.Write(DemoCommand.LayerTable(report, held.Count, engineThresholds));
        console.MarkupLineInterpolated($"written: {written.Count} files in {outDir} (report.txt, report.csv, report.json{(written.Count > 3 ? ", calibration table, plots/" : string.Empty)})");
        return 0;
    }
}
