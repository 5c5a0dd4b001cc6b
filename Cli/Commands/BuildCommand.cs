using System.CommandLine;
using System.Diagnostics;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 build --model M --precision fp32|fp16|int8|best --save-engine F</c>: builds an engine once and saves it (versioned,
/// checksummed) for <c>run</c> and <c>bench --load-engine</c>. INT8 ranges: --table, the model's QDQ ranges, or a
/// calibration on --data. <c>--integer-only</c> builds INT8 with integers and shifts only.
/// </summary>
public sealed class BuildCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<string?> _saveEngine = CliOptions.Text("--save-engine", "the engine file to write", "F", required: true);
    private readonly Option<string> _precision = CliPrecision.Option("fp32");
    private readonly Option<string[]> _layerPrecision = CliPrecision.LayerOption();
    private readonly Option<string> _tf32 = CliPrecision.Tf32Option();
    private readonly Option<string?> _timingCache = CliPrecision.TimingCacheOption();
    private readonly Option<int> _batch = CliOptions.Int("--batch", "the engine's maximum batch", 64, 1, CliOptions.MaxBatch);
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<string?> _data = CliOptions.Text("--data", "calibration data for INT8 without --table or QDQ ranges (as for calibrate)", "DIR|X.npy");
    private readonly Option<string> _method = CliOptions.Method();
    private readonly Option<int> _images = CliOptions.Int("--images", "images (samples) to calibrate on", 1000);
    private readonly Option<string?> _normalize = CliOptions.Normalize();
    private readonly Option<string[]> _allowMissing = CliOptions.AllowMissing();
    private readonly Option<bool> _integerOnly = CliOptions.IntegerOnly();
    private readonly Option<bool> _layerInfo = CliOptions.Flag("--layer-info", "print every step: type, fused activation, precision, shapes, kernel, scratch, network layers, memory");
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();

    /// <inheritdoc />
    public override string Name => "build";

    /// <inheritdoc />
    public override string Description => "build an FP32 or INT8 engine and save it (--save-engine) for run and bench --load-engine";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Required(_model);
        var savePath = run.Required(_saveEngine);
        var precision = run.Get(_precision);
        var layerPrecision = run.Get(_layerPrecision);
        var tf32 = run.Get(_tf32);
        var batch = run.Get(_batch);
        var tablePath = run.Get(_table);
        var dataPath = run.Get(_data);
        var methodName = run.Get(_method);
        var images = run.Get(_images);
        var normalization = Normalization.Parse(run.Get(_normalize));
        var allowMissing = run.Get(_allowMissing);
        var integerOnly = run.Get(_integerOnly);
        var layerInfo = run.Get(_layerInfo);
        var timingCachePath = run.Get(_timingCache);
        var request = CliPrecision.Parse(precision, layerPrecision, tf32) with { TimingCache = CliPrecision.LoadTimingCache(timingCachePath) };
        if (integerOnly && precision != "int8")
        {
            throw new CliUsageException("--integer-only needs --precision int8.");
        }

        var json = run.Get(_json);
        using var device = run.UseDevice(_device);

        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        OutputPaths.CheckFile(savePath, "engine file");
        var thresholds = tablePath is not null ? CalibrationFiles.ReadTable(tablePath, model) : null;
        var watch = Stopwatch.StartNew();
        Engine engine;
        var ranges = "-";
        if (!request.NeedsRanges)
        {
            engine = Engines.Float(model.Network, batch, request);
        }
        else if (thresholds is not null || model.QdqRanges > 0 || dataPath is null)
        {
            engine = Engines.Int8(model, batch, thresholds, null, allowMissing, integerOnly, request);
            ranges = thresholds is not null ? $"table {tablePath}" : "the model's QDQ ranges";
        }
        else
        {
            var (data, description) = CalibrationData.Open(dataPath, model.SingleInput, Math.Min(batch, 100), images, normalization);
            engine = ProgressBars.Run(console, !json, bars => Engines.Calibrate(model, data, CalibrationFiles.Method(methodName), batch, bars, integerOnly: integerOnly, precision: request)).Engine;
            ranges = $"{methodName} calibration on {description}";
        }

        using (engine)
        {
            var seconds = watch.Elapsed.TotalSeconds;
            var saved = EngineFiles.Save(engine, savePath);
            if (timingCachePath is not null)
            {
                request.TimingCache!.Save(timingCachePath);
            }

            if (json)
            {
                run.WriteJson(new
                {
                    model = modelPath,
                    engine = saved,
                    precision,
                    integer_only = engine.IntegerOnly,
                    max_batch = engine.MaxBatchSize,
                    ranges,
                    build_seconds = seconds,
                    bytes = new FileInfo(saved).Length,
                    notes = model.Notes,
                    layers = layerInfo ? EngineFiles.LayerJson(engine) : null,
                });
                return 0;
            }

            console.MarkupLineInterpolated($"device  {Engines.DeviceLine()}");
            if (layerInfo)
            {
                console.Write(EngineFiles.LayerTable(engine));
            }

            console.MarkupLineInterpolated($"{precision.ToUpperInvariant()}{(engine.IntegerOnly ? " integer-only" : string.Empty)} engine (max batch {engine.MaxBatchSize}, INT8 ranges: {ranges}) built in {seconds:F2} s, saved to {saved}");
            return 0;
        }
    }
}
