using System.CommandLine;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Cli.Common;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 report --model M --data IDX_DIR [--table T] [--out DIR] [--precision int8|best|fp16|fp32] [--tf32 on|off]</c>:
/// the per-tensor error of the engine of <c>--precision</c> (INT8 by default) against strict FP32 on held-out test images
/// (SQNR, cosine, max |error|, with each tensor's threshold and clipped share), written as report.txt/.csv/.json. Without
/// --table it calibrates (entropy) on the folder's training images first and also writes the table and one histogram plot
/// per tensor (fp16 and fp32 too: the thresholds fill the table's columns; their engines use none).
/// </summary>
public sealed class ReportCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<string?> _data = CliOptions.Text("--data", "images: an IDX folder (t10k-* held out, train-* to calibrate) or file", "DIR", required: true);
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<string> _method = CliOptions.Method();
    private readonly Option<string> _out = CliOptions.TextWithDefault("--out", "folder for report.txt/.csv/.json (and the table and plots when it calibrates)", "ilgpu-int8-report", "DIR");
    private readonly Option<int> _images = CliOptions.Int("--images", "held-out images to compare FP32 and INT8 on", 200);
    private readonly Option<int> _calibrationImages = CliOptions.Int("--calibration-images", "training images to calibrate on (without --table)", 1000);
    private readonly Option<string?> _normalize = CliOptions.Normalize();
    private readonly Option<string[]> _allowMissing = CliOptions.AllowMissing();
    private readonly Option<string> _precision = CliPrecision.Option("int8");
    private readonly Option<string[]> _layerPrecision = CliPrecision.LayerOption();
    private readonly Option<string> _tf32 = CliPrecision.Tf32Option();
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();

    /// <inheritdoc />
    public override string Name => "report";

    /// <inheritdoc />
    public override string Description => "per-tensor error of an INT8 (or --precision) engine against strict FP32 (SQNR, cosine, max error) with thresholds, clipped shares and plots";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Required(_model);
        var folder = run.Required(_data);
        var tablePath = run.Get(_table);
        var methodName = run.Get(_method);
        var outDir = Path.GetFullPath(run.Get(_out));
        var images = run.Get(_images);
        var calibrationImages = run.Get(_calibrationImages);
        var json = run.Get(_json);
        var allowMissing = run.Get(_allowMissing);
        var normalize = run.Get(_normalize);
        var request = CliPrecision.Parse(run.Get(_precision), run.Get(_layerPrecision), run.Get(_tf32));
        using var device = run.UseDevice(_device);
        OutputPaths.CheckFolder(outDir, "report folder");
        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        var norm = Normalization.Resolve(normalize, model, run.Error);
        var input = model.SingleInput;
        var testFiles = IdxFolder.Require(folder, train: false);
        var held = LabelledImages.Load(testFiles.Images, null, norm, 0, images);
        if (!json)
        {
            console.MarkupLineInterpolated($"device  {Engines.DeviceLine()}");
        }

        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        CalibrationReport report;
        Layers.Runtime.Engine int8;
        if (tablePath is not null)
        {
            var table = CalibrationFiles.ReadTable(tablePath, model);
            report = new CalibrationReport(table);
            int8 = request.NeedsRanges ? Engines.Int8(model, 50, table, norm.ToPreprocessing(), allowMissing, precision: request) : Engines.Float(model.Network, 50, request);
        }
        else
        {
            var trainFiles = IdxFolder.Find(folder, train: true)
                ?? throw new CliUsageException($"No training images in '{folder}' to calibrate on: give --table.");
            var calibration = LabelledImages.Load(trainFiles.Images, null, norm, 0, calibrationImages);
            var method = CalibrationFiles.Method(methodName);
            var c = ProgressBars.Run(console, !json, bars => Engines.Calibrate(model, calibration.AsDataSource(input, Math.Min(100, calibration.Count)), method, 50, bars, norm.ToPreprocessing(), precision: request.NeedsRanges ? request : null));
            report = new CalibrationReport(c.Run);
            int8 = c.Engine;
            var (cache, tableJson) = CalibrationFiles.Write(c.Run.Table, Path.Combine(outDir, "calibration.cache"));
            written.Add(cache);
            written.Add(tableJson);
            written.AddRange(HistogramPlot.WriteAll(Path.Combine(outDir, "plots"), c.Run, c.Engine.Int8Thresholds));
            if (!request.NeedsRanges)
            {
                // fp16 or fp32: the calibration filled the thresholds; the engine compared is the float one asked for.
                int8.Dispose();
                int8 = Engines.Float(model.Network, 50, request);
            }
        }

        var engineThresholds = int8.Int8Thresholds;
        using (int8)
        using (var fp32 = Engines.Float(ModelFile.Load(modelPath).Network, 50, CliPrecision.Parse("fp32", null, "off")))
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
