using System.CommandLine;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Onnx;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 calibrate --model M --data D --method entropy --table OUT [--json] [--plots DIR]</c>: runs the FP32
/// network over the calibration data (two passes: ranges, then 2048-bin histograms), chooses every tensor's threshold,
/// writes the table (TensorRT cache and JSON) and, with --plots, one SVG histogram per tensor.
/// </summary>
public sealed class CalibrateCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<string?> _data = CliOptions.Text("--data", "calibration data: an IDX folder or file, a folder of .npy samples, or one .npy/.pb batch [N, ...]", "DIR|X.npy", required: true);
    private readonly Option<string?> _table = CliOptions.Text("--table", "where to write the table: X.cache (TensorRT cache, plus X.cache.json) or X.json (plus X.cache)", "OUT", required: true);
    private readonly Option<string> _method = CliOptions.Method();
    private readonly Option<double> _percentile = CliOptions.Number("--percentile", "the percentile of |x| kept by --method percentile", 99.99, 50, 100);
    private readonly Option<int> _images = CliOptions.Int("--images", "images (samples) to calibrate on", 1000);
    private readonly Option<int> _batch = CliOptions.Int("--batch", "calibration batch size", 100, 1, CliOptions.MaxBatch);
    private readonly Option<string?> _normalize = CliOptions.Normalize();
    private readonly Option<string?> _plots = CliOptions.Text("--plots", "folder for one SVG histogram per tensor", "DIR");
    private readonly Option<string?> _exportQdq = CliOptions.Text("--export-qdq", "also write the FP32 model with QuantizeLinear/DequantizeLinear pairs from these thresholds and per-channel int8 weights (ONNX Runtime / TensorRT QDQ format)", "OUT.onnx");
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();
    private readonly Option<string?> _devices = CliOptions.Devices("the calibration batches");

    /// <inheritdoc />
    public override string Name => "calibrate";

    /// <inheritdoc />
    public override string Description => "thresholds of every tensor: writes the TensorRT cache and our JSON table (hashes of model and data)";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Required(_model);
        var dataPath = run.Required(_data);
        var tablePath = run.Required(_table);
        var method = CalibrationFiles.Method(run.Get(_method), run.Get(_percentile));
        var batch = run.Get(_batch);
        var images = run.Get(_images);
        var plotDir = run.Get(_plots);
        var qdqPath = run.Get(_exportQdq);
        var json = run.Get(_json);
        var normalize = run.Get(_normalize);
        var devicesText = run.Get(_devices);

        // Outputs are checked before any work: a table or plots folder that cannot be written fails now, not after calibrating.
        CalibrationTablePair.CheckWritable(tablePath);
        if (qdqPath is not null)
        {
            OutputPaths.CheckFile(qdqPath, "QDQ model");
        }
        if (plotDir is not null)
        {
            OutputPaths.CheckFolder(plotDir, "plots folder");
        }

        using var device = run.UseDevice(_device);
        using var devices = CliInvocation.OpenDevices(devicesText);
        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        var images8Bit = CalibrationData.IsImages(dataPath);
        var normalization = images8Bit ? Normalization.Resolve(normalize, model, run.Error) : Normalization.Parse(normalize);
        var (data, description) = CalibrationData.Open(dataPath, model.SingleInput, batch, images, normalization);
        if (!json)
        {
            console.MarkupLineInterpolated($"device  {RunCommand.DeviceLine(devices)}");
            console.MarkupLineInterpolated($"data    {description}");
        }

        var calibrated = ProgressBars.Run(console, !json, bars => Engines.Calibrate(model, data, method, batch, bars, images8Bit ? normalization.ToPreprocessing() : null, devices: devices?.Devices));
        var thresholds = calibrated.Engine.Int8Thresholds;
        calibrated.Engine.Dispose();
        var calibration = calibrated.Run;
        var (cache, jsonTable) = CalibrationFiles.Write(calibration.Table, tablePath);
        var qdq = qdqPath is not null ? QdqExporter.Export(modelPath, thresholds, qdqPath) : null;
        var plots = plotDir is not null ? HistogramPlot.WriteAll(Path.GetFullPath(plotDir), calibration) : [];
        CalibrationOutput.PrintWarnings(run, calibration, json);
        if (json)
        {
            var result = new
            {
                model = modelPath,
                model_sha256 = model.Sha256,
                method = method.Name,
                data = description,
                data_hash = calibration.Table.DataHash,
                seconds = calibrated.Seconds,
                table = cache,
                table_json = jsonTable,
                plots,
                qdq_model = qdqPath,
                qdq_activations = qdq?.Activations.Count,
                qdq_weights = qdq?.Weights.Count,
                notes = model.Notes,
                warnings = calibration.Table.Warnings,
                preprocessing = calibration.Table.Preprocessing?.ToText(),
                tensors = CalibrationOutput.JsonTensors(calibration),
            };
            run.WriteJson(result);
            return 0;
        }

        CalibrationOutput.PrintTable(console, method.Name, calibration);
        console.MarkupLineInterpolated($"calibrated in {calibrated.Seconds:F2} s; table written to {cache} (TensorRT cache) and {jsonTable}");
        if (plots.Count > 0)
        {
            console.MarkupLineInterpolated($"{plots.Count} histogram plots in {Path.GetDirectoryName(plots[0])}");
        }

        if (qdq is not null)
        {
            console.MarkupLineInterpolated($"QDQ model written to {qdqPath}: {qdq.Activations.Count} activations and {qdq.Weights.Count} weights quantized ({qdq.Skipped.Count} table entries not in the graph)");
        }

        return 0;
    }
}
