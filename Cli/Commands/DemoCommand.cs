using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Cli.Common;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8</c> with no arguments: the Fashion-MNIST CNN calibrated with entropy on at most 1000 training images,
/// FP32 and INT8 engines evaluated on the test set, the table of top-1, agreement, speed and per-layer SQNR, and the
/// calibration table, report and histogram plots written to a folder. <c>--precision</c> picks the engine compared with
/// FP32 (int8 by default; best, fp16, or fp32 with <c>--tf32</c> to see TF32 against strict FP32): fp16 and fp32 still
/// calibrate, for the table and the plots.
/// </summary>
public sealed class DemoCommand : CliCommand
{
    private readonly Option<string> _out = CliOptions.TextWithDefault("--out", "folder for the calibration table, the report and the plots", "ilgpu-int8-demo", "DIR");
    private readonly Option<string> _data = CliOptions.TextWithDefault("--data", "Fashion-MNIST IDX folder (train + t10k); without it the shipped 3000 test images", DemoAssets.DebianFashionMnist, "DIR");
    private readonly Option<bool> _shipped = CliOptions.Flag("--shipped", "use the 3000 test images shipped with the tool even when --data exists");
    private readonly Option<string> _method = CliOptions.Method();
    private readonly Option<int> _calibrationImages = CliOptions.Int("--calibration-images", "images to calibrate on", 1000);
    private readonly Option<int?> _images = CliOptions.OptionalInt("--images", "test images to evaluate (default: all)");
    private readonly Option<int> _batch = CliOptions.Int("--batch", "batch size of the engines", 250, 1, CliOptions.MaxBatch);
    private readonly Option<int> _compareImages = CliOptions.Int("--compare-images", "images for the per-tensor FP32/INT8 comparison", 200);
    private readonly Option<bool> _integerOnly = CliOptions.IntegerOnly();
    private readonly Option<string> _precision = CliPrecision.Option("int8");
    private readonly Option<string> _tf32 = CliPrecision.Tf32Option();
    private readonly Option<bool> _noProgress = CliOptions.Flag("--no-progress", "no progress bars");
    private readonly Option<string> _device = CliOptions.Device();

    /// <inheritdoc />
    public override string Name => "demo";

    /// <inheritdoc />
    public override string Description => "(the default) Fashion-MNIST CNN: entropy calibration, FP32 vs INT8 top-1, speed, per-tensor SQNR";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var total = Stopwatch.StartNew();
        var outArg = run.Get(_out);
        var calibrationImages = run.Get(_calibrationImages);
        var batch = run.Get(_batch);
        var compareImages = run.Get(_compareImages);
        var norm = DemoAssets.Normalization;
        var method = run.Get(_method);
        var folder = run.Get(_data);
        var useShipped = run.Get(_shipped);
        var maxImages = run.Get(_images) ?? int.MaxValue;
        var show = !run.Get(_noProgress);
        var integerOnly = run.Get(_integerOnly);
        var request = CliPrecision.Parse(run.Get(_precision), null, run.Get(_tf32));
        if (integerOnly && request.Mode != "int8")
        {
            throw new CliUsageException($"--integer-only builds an INT8 engine; it cannot go with --precision {request.Mode}.");
        }
        using var device = run.UseDevice(_device);
        var outDir = OutputPaths.CheckFolder(outArg, "demo output folder");

        // Data: the full set when installed (train for calibration, t10k for evaluation), else the shipped 3000 test
        // images split in two disjoint parts: the last ones calibrate, the first ones evaluate.
        var train = !useShipped && Directory.Exists(folder) ? IdxFolder.Find(folder, train: true) : null;
        var test = train is null ? null : IdxFolder.Find(folder, train: false);
        LabelledImages calibration, evaluation;
        string dataLine;
        if (train is not null && test is not null)
        {
            calibration = LabelledImages.Load(train.Images, train.Labels, norm, 0, calibrationImages);
            evaluation = LabelledImages.Load(test.Images, test.Labels, norm, 0, maxImages);
            dataLine = $"Fashion-MNIST from {folder}: calibration on the first {calibration.Count} training images, evaluation on {evaluation.Count} test images";
        }
        else
        {
            var shipped = DemoAssets.ShippedTest;
            var all = LabelledImages.Load(shipped.Images, null, norm);
            var split = Math.Max(1, all.Count - Math.Min(calibrationImages, all.Count / 3));
            calibration = LabelledImages.Load(shipped.Images, shipped.Labels, norm, split);
            evaluation = LabelledImages.Load(shipped.Images, shipped.Labels, norm, 0, Math.Min(split, maxImages));
            var why = useShipped ? "--shipped" : $"no training set found at {folder}";
            dataLine = $"Fashion-MNIST subset shipped in the repository ({all.Count} test images; {why}): "
                + $"calibration on images {split}-{all.Count - 1}, evaluation on the disjoint images 0-{evaluation.Count - 1}";
        }

        var name = integerOnly ? "INT8 integer-only" : request.Mode == "fp32" ? (request.Tf32 ? "FP32/TF32" : "FP32 strict") : request.Mode.ToUpperInvariant();
        console.Write(new Rule($"[bold]ILGPUInt8 demo: Fashion-MNIST CNN, FP32 vs {name}[/]").LeftJustified());
        console.MarkupLineInterpolated($"device      {Engines.DeviceLine()}");
        console.MarkupLineInterpolated($"model       {DemoAssets.Model}");
        console.MarkupLineInterpolated($"data        {dataLine}");
        console.MarkupLineInterpolated($"input       {norm}");

        var model = ModelFile.Load(DemoAssets.Model);
        run.PrintNotes(model, json: false);
        var input = model.SingleInput;
        var watch = Stopwatch.StartNew();
        using var engine32 = Engines.Float(ModelFile.Load(DemoAssets.Model).Network, batch, CliPrecision.Parse("fp32", null, "off"));
        var buildSeconds = watch.Elapsed.TotalSeconds;
        var (calibrated, fp32, int8, thresholds) = ProgressBars.Run(console, show, bars =>
        {
            var c = Engines.Calibrate(model, calibration.AsDataSource(input, Math.Min(batch, calibration.Count)), CalibrationFiles.Method(method), batch, bars, norm.ToPreprocessing(), integerOnly, request.NeedsRanges ? request : null);
            var used = c.Engine.Int8Thresholds;
            if (!request.NeedsRanges)
            {
                // fp16 or fp32: calibrated for the table and the plots; the engine compared is the float one asked for.
                c.Engine.Dispose();
                c = c with { Engine = Engines.Float(model.Network, batch, request) };
            }

            var p32 = Evaluation.Predict(engine32, evaluation, batch, bars.Add("evaluate FP32", evaluation.Count));
            var p8 = Evaluation.Predict(c.Engine, evaluation, batch, bars.Add($"evaluate {name}", evaluation.Count));
            return (c, p32, p8, used);
        });

        using var engine8 = calibrated.Engine;
        var report = new CalibrationReport(calibrated.Run);
        var compared = Math.Min(compareImages, evaluation.Count);
        LayerErrors.Compare(engine32, engine8, evaluation, compared, 50, report);

        Directory.CreateDirectory(outDir);
        var (cache, json) = CalibrationFiles.Write(calibrated.Run.Table, Path.Combine(outDir, "fashion_cnn.calibration.cache"));
        var reports = ReportFormats.WriteAll(report, outDir);
        var plotDir = Path.Combine(outDir, "plots");
        var plots = HistogramPlot.WriteAll(plotDir, calibrated.Run, thresholds);

        var labels = evaluation.Labels!;
        var results = new Table().Title("[bold]Fashion-MNIST top-1[/]").AddColumn("").AddColumn(new TableColumn("FP32").RightAligned()).AddColumn(new TableColumn(name).RightAligned());
        results.AddRow("top-1", Pct(fp32.Top1(labels)), Pct(int8.Top1(labels)));
        results.AddRow($"{name} - FP32", string.Empty, Points(int8.Top1(labels) - fp32.Top1(labels)));
        results.AddRow($"agreement FP32/{name}", string.Empty, Pct(int8.Agreement(fp32)));
        results.AddRow("images/s (batch " + batch.ToString(CultureInfo.InvariantCulture) + ")", Num(fp32.ImagesPerSecond), Num(int8.ImagesPerSecond));
        results.AddRow("calibration (" + Markup.Escape(method) + ", " + calibration.Count.ToString(CultureInfo.InvariantCulture) + " images) + INT8 build", string.Empty, Sec(calibrated.Seconds));
        results.AddRow("FP32 build", Sec(buildSeconds), string.Empty);
        console.Write(results);

        console.Write(LayerTable(report, compared, thresholds));
        console.MarkupLineInterpolated($"calibration table  {cache} (TensorRT cache) and {json}");
        console.MarkupLineInterpolated($"report             {string.Join(", ", reports)}");
        console.MarkupLineInterpolated($"plots              {plots.Count} histograms with their thresholds in {plotDir}");
        console.MarkupLineInterpolated($"total time         {Sec(total.Elapsed.TotalSeconds)}");
        return 0;
    }

    /// <summary>
    /// The per-layer table: calibrated threshold, the threshold the engine uses, clipped share, SQNR and cosine of every
    /// calibrated tensor.
    /// </summary>
    internal static Table LayerTable(CalibrationReport report, int images, IReadOnlyDictionary<string, float> engineThresholds)
    {
        var table = new Table().Title($"[bold]Per-tensor INT8 error on {images} held-out images[/]")
            .AddColumn("tensor").AddColumn(new TableColumn("threshold").RightAligned()).AddColumn(new TableColumn("engine").RightAligned())
            .AddColumn(new TableColumn("clipped").RightAligned()).AddColumn(new TableColumn("SQNR dB").RightAligned()).AddColumn(new TableColumn("cosine").RightAligned())
            .Caption("threshold: calibrated; engine: the one the INT8 engine uses (a fused ReLU's or a max pooling's output shares it); clipped: by the calibrated one. " +
                "SQNR = 20·log10(‖x‖ / ‖x − x̂‖) of the INT8 engine's tensor against FP32; - : no such tensor in the engine (folded into the layer before)");
        foreach (var r in report.Rows().Where(r => r.Compared > 0 || r.Threshold is not null))
        {
            table.AddRow(
                Markup.Escape(r.Name),
                r.Threshold is { } t ? t.ToString("G4", CultureInfo.InvariantCulture) : "-",
                engineThresholds.TryGetValue(r.Name, out var used) ? used.ToString("G4", CultureInfo.InvariantCulture) : "-",
                r.ClippedShare is { } c ? (c * 100).ToString("G3", CultureInfo.InvariantCulture) + " %" : "-",
                r.SqnrDb is { } s ? (double.IsPositiveInfinity(s) ? "exact" : s.ToString("F1", CultureInfo.InvariantCulture)) : "-",
                r.Cosine is { } k ? k.ToString("F5", CultureInfo.InvariantCulture) : "-");
        }

        return table;
    }

    private static string Pct(double share) => (share * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";

    private static string Points(double delta) => (delta * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " points";

    private static string Num(double v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string Sec(double s) => s.ToString("F2", CultureInfo.InvariantCulture) + " s";
}
