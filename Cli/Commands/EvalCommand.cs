using System.CommandLine;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 eval --model M --data IDX_DIR [--table T] [--json]</c>: top-1 of the FP32 and the INT8 engine on the
/// labelled test images of an IDX folder, and how often they agree. Images are fed as pixels / 255 unless
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
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();
    private readonly Option<string?> _devices = CliOptions.Devices("the test batches and the calibration");
    private readonly Option<string> _split = CliOptions.Split();

    /// <inheritdoc />
    public override string Name => "eval";

    /// <inheritdoc />
    public override string Description => "FP32 and INT8 top-1 and their agreement on labelled test images";

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
        var devicesText = run.Get(_devices);
        var split = DataParallel.Split(run.Get(_split));
        using var device = run.UseDevice(_device);
        using var devices = CliInvocation.OpenDevices(devicesText);
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
        var trainFiles = thresholds is null && !useQdq && !File.Exists(folder) ? IdxFolder.Find(folder, train: true) : null;
        if (thresholds is null && trainFiles is null && model.QdqRanges == 0)
        {
            throw new CliUsageException($"No training images in '{folder}' to calibrate on: give --table (made by `ilgpu-int8 calibrate`).");
        }

        if (!json)
        {
            console.MarkupLineInterpolated($"device  {RunCommand.DeviceLine(devices)}");
            console.MarkupLineInterpolated($"data    {test.Count} test images of {testFiles.Images} ({norm})");
        }

        using var fp32Engine = Engines.Fp32(model.Network, batch);
        var ranges = string.Empty;
        double? calibrationSeconds = null;
        var (int8Engine, fp32, int8) = ProgressBars.Run(console, !json, bars =>
        {
            Engine engine8;
            if (thresholds is not null)
            {
                engine8 = Engines.Int8(model, batch, thresholds, norm.ToPreprocessing(), allowMissing, integerOnly);
                ranges = "calibration table " + tablePath;
            }
            else if (trainFiles is not null)
            {
                var calibration = LabelledImages.Load(trainFiles.Images, null, norm, 0, calibrationImages);
                var method = CalibrationFiles.Method(methodName ?? "entropy");
                var c = Engines.Calibrate(model, calibration.AsDataSource(input, Math.Min(100, calibration.Count)), method, batch, bars, norm.ToPreprocessing(), integerOnly, devices?.Devices);
                engine8 = c.Engine;
                calibrationSeconds = c.Seconds;
                ranges = $"{method.Name} calibration on the first {calibration.Count} images of {trainFiles.Images}";
            }
            else
            {
                engine8 = Engines.Int8(model, batch, null, integerOnly: integerOnly);
                ranges = "the model's QDQ ranges";
            }

            var p32 = Evaluation.Predict(fp32Engine, test, batch, bars.Add("evaluate FP32", test.Count), devices, split);
            var p8 = Evaluation.Predict(engine8, test, batch, bars.Add("evaluate INT8", test.Count), devices, split);
            return (engine8, p32, p8);
        });
        using var disposeInt8 = int8Engine;

        var labels = test.Labels!;
        if (json)
        {
            var result = new
            {
                model = modelPath,
                data = testFiles.Images,
                images = test.Count,
                fp32_top1 = fp32.Top1(labels),
                int8_top1 = int8.Top1(labels),
                int8_integer_only = int8Engine.IntegerOnly,
                agreement = int8.Agreement(fp32),
                fp32_images_per_s = fp32.ImagesPerSecond,
                int8_images_per_s = int8.ImagesPerSecond,
                calibration_seconds = calibrationSeconds,
                ranges,
                notes = model.Notes,
            };
            run.WriteJson(result);
            return 0;
        }

        EvalOutput.PrintTable(console, test.Count, fp32.Top1(labels), int8.Top1(labels), int8.Agreement(fp32), ("images/s", EvalOutput.Rate(fp32.ImagesPerSecond), EvalOutput.Rate(int8.ImagesPerSecond)));
        if (int8Engine.IntegerOnly)
        {
            console.MarkupLine("INT8 arithmetic: integer-only (Q31 requantize, integer-built tables, integer softmax)");
        }

        console.MarkupLineInterpolated($"INT8 ranges: {ranges}{(calibrationSeconds is { } s ? $" ({s:F2} s)" : string.Empty)}");
        return 0;
    }
}
