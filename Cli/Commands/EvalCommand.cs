using System.CommandLine;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 eval --model M --data IDX_DIR [--precision fp32,fp16,int8,best] [--table T] [--json]</c>: top-1 of the
/// engines of each precision asked (default FP32 and INT8) on the labelled test images of an IDX folder, how often each
/// agrees with FP32 and its images/s, in one table. Images are fed as pixels / 255 unless
/// <c>--normalize mean,std</c>. INT8 ranges: the table, else the model's own QDQ ranges (unless <c>--method</c> asks to
/// calibrate), else calibration on the folder's first 1000 training images. <c>--integer-only</c>: the INT8 engine is
/// integer-only (same ranges as without).
/// </summary>
public sealed class EvalCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<string?> _data = CliOptions.Text("--data", "labelled images: an IDX folder (t10k-* to evaluate, train-* to calibrate) or file", "DIR", required: true);
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<string?> _method = CliOptions.OptionalMethod("calibrate with this method even when the model has QDQ ranges (default without --table: entropy, or the model's QDQ ranges)");
    private readonly Option<string?> _normalize = CliOptions.Normalize();
    private readonly Option<string[]> _allowMissing = CliOptions.AllowMissing();
    private readonly Option<int?> _images = CliOptions.OptionalInt("--images", "test images to evaluate (default: all)");
    private readonly Option<int> _calibrationImages = CliOptions.Int("--calibration-images", "training images to calibrate on (without --table)", 1000);
    private readonly Option<int> _batch = CliOptions.Int("--batch", "batch size of the engines", 250, 1, CliOptions.MaxBatch);
    private readonly Option<bool> _integerOnly = CliOptions.IntegerOnly();
    private readonly Option<string[]> _precision = CliOptions.Repeated("--precision", "precisions to evaluate in one table: fp32, fp16, int8, best (repeat or comma-separate; default fp32 int8)", "P");
    private readonly Option<string[]> _layerPrecision = CliPrecision.LayerOption();
    private readonly Option<string> _tf32 = CliPrecision.Tf32Option();
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();
    private readonly Option<string?> _devices = CliOptions.Devices("the test batches and the calibration");
    private readonly Option<string> _split = CliOptions.Split();

    /// <inheritdoc />
    public override string Name => "eval";

    /// <inheritdoc />
    public override string Description => "top-1, agreement with FP32 and images/s of FP32, FP16, INT8 or best engines on labelled test images";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Required(_model);
        var folder = run.Required(_data);
        var tablePath = run.Get(_table);
        var methodName = run.Get(_method);
        var json = run.Get(_json);
        var integerOnly = run.Get(_integerOnly);
        var batch = run.Get(_batch);
        var allowMissing = run.Get(_allowMissing);
        var normalize = run.Get(_normalize);
        var maxImages = run.Get(_images) ?? int.MaxValue;
        var calibrationImages = run.Get(_calibrationImages);
        var precisionArgs = run.Get(_precision);
        var layerPrecision = run.Get(_layerPrecision);
        var tf32 = run.Get(_tf32);
        var devicesText = run.Get(_devices);
        var split = DataParallel.Split(run.Get(_split));
        using var device = run.UseDevice(_device);
        using var devices = CliInvocation.OpenDevices(devicesText);
        var modes = precisionArgs.SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList();
        List<CliPrecision> requests = [.. (modes.Count == 0 ? ["fp32", "int8"] : modes.Prepend("fp32").Distinct()).Select(m => CliPrecision.Parse(m, layerPrecision, tf32))];
        var needsRanges = requests.Exists(r => r.NeedsRanges);
        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        var norm = Normalization.Resolve(normalize, model, run.Error);
        var input = model.SingleInput;

        var testFiles = IdxFolder.Require(folder, train: false);
        if (testFiles.Labels is null)
        {
            throw new FileNotFoundException($"No labels for '{testFiles.Images}' (expected the same name with 'labels' for 'images').");
        }

        var test = LabelledImages.Load(testFiles.Images, testFiles.Labels, norm, 0, maxImages);
        var thresholds = tablePath is not null ? CalibrationFiles.ReadTable(tablePath, model) : null;
        var useQdq = thresholds is null && model.QdqRanges > 0 && methodName is null;
        var trainFiles = needsRanges && thresholds is null && !useQdq && !File.Exists(folder) ? IdxFolder.Find(folder, train: true) : null;
        if (needsRanges && thresholds is null && trainFiles is null && model.QdqRanges == 0)
        {
            throw new CliUsageException($"No training images in '{folder}' to calibrate on: give --table (made by `ilgpu-int8 calibrate`).");
        }

        if (!json)
        {
            console.MarkupLineInterpolated($"device  {RunCommand.DeviceLine(devices)}");
            console.MarkupLineInterpolated($"data    {test.Count} test images of {testFiles.Images} ({norm})");
        }

        using var fp32Engine = Engines.Float(model.Network, batch, requests[0]);
        var ranges = string.Empty;
        double? calibrationSeconds = null;
        var engines = new List<(string Mode, Engine Engine)>();
        var predictions = ProgressBars.Run(console, !json, bars =>
        {
            Engine Ranged(CliPrecision request)
            {
                if (thresholds is not null)
                {
                    ranges = "calibration table " + tablePath;
                    return Engines.Int8(model, batch, thresholds, norm.ToPreprocessing(), allowMissing, integerOnly, request);
                }

                if (trainFiles is not null)
                {
                    var calibration = LabelledImages.Load(trainFiles.Images, null, norm, 0, calibrationImages);
                    var method = CalibrationFiles.Method(methodName ?? "entropy");
                    var c = Engines.Calibrate(model, calibration.AsDataSource(input, Math.Min(100, calibration.Count)), method, batch, bars, norm.ToPreprocessing(), integerOnly, request, devices?.Devices);
                    calibrationSeconds = (calibrationSeconds ?? 0) + c.Seconds;
                    ranges = $"{method.Name} calibration on the first {calibration.Count} images of {trainFiles.Images}";
                    return c.Engine;
                }

                ranges = "the model's QDQ ranges";
                return Engines.Int8(model, batch, null, integerOnly: integerOnly, precision: request);
            }

            foreach (var request in requests.Where(r => r.Mode != "fp32"))
            {
                engines.Add((request.Mode, request.NeedsRanges ? Ranged(request) : Engines.Float(model.Network, batch, request)));
            }

            var result = new Dictionary<string, Predictions>(StringComparer.Ordinal) { ["fp32"] = Evaluation.Predict(fp32Engine, test, batch, bars.Add("evaluate FP32", test.Count), devices, split) };
            foreach (var (mode, engine) in engines)
            {
                result[mode] = Evaluation.Predict(engine, test, batch, bars.Add($"evaluate {mode.ToUpperInvariant()}", test.Count), devices, split);
            }

            return result;
        });
        try
        {
            Report(run, json, modelPath, testFiles.Images, test, requests, predictions, engines, ranges, calibrationSeconds, model.Notes);
        }
        finally
        {
            foreach (var (_, engine) in engines)
            {
                engine.Dispose();
            }
        }

        return 0;
    }

    private static void Report(CliInvocation run, bool json, string modelPath, string images, LabelledImages test, IReadOnlyList<CliPrecision> requests, Dictionary<string, Predictions> predictions,
        List<(string Mode, Engine Engine)> engines, string ranges, double? calibrationSeconds, IReadOnlyList<string> notes)
    {
        var labels = test.Labels!;
        var fp32 = predictions["fp32"];
        var modes = requests.Select(r => r.Mode).ToList();
        var int8 = predictions.GetValueOrDefault("int8");
        var integerOnly = engines.Any(e => e.Engine.IntegerOnly);
        if (json)
        {
            run.WriteJson(new
            {
                model = modelPath,
                data = images,
                images = test.Count,
                fp32_top1 = fp32.Top1(labels),
                int8_top1 = int8?.Top1(labels),
                int8_integer_only = integerOnly,
                agreement = int8?.Agreement(fp32),
                fp32_images_per_s = fp32.ImagesPerSecond,
                int8_images_per_s = int8?.ImagesPerSecond,
                precisions = modes.Select(m => new { precision = m, top1 = predictions[m].Top1(labels), agreement_with_fp32 = predictions[m].Agreement(fp32), images_per_s = predictions[m].ImagesPerSecond }),
                calibration_seconds = calibrationSeconds,
                ranges,
                notes,
            });
            return;
        }

        EvalOutput.PrintColumns(run.Console, test.Count, [.. modes.Select(m => (m.ToUpperInvariant(), predictions[m].Top1(labels), predictions[m].Agreement(fp32), predictions[m].ImagesPerSecond))]);
        if (integerOnly)
        {
            run.Console.MarkupLine("INT8 arithmetic: integer-only (Q31 requantize, integer-built tables, integer softmax)");
        }

        if (ranges.Length > 0)
        {
            run.Console.MarkupLineInterpolated($"INT8 ranges: {ranges}{(calibrationSeconds is { } s ? $" ({s:F2} s)" : string.Empty)}");
        }
    }
}
