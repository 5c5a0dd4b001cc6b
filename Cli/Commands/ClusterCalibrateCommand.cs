using System.CommandLine;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 cluster calibrate --model M --data SHARDS --out DIR --table T</c>: calibration with the shards spread
/// over the silos (pass 1 ranges, merged; pass 2 histograms over the merged ranges, summed), the method over the summed
/// histograms: the table one machine's <c>calibrate</c> writes over the same batches, bit for bit, written the same way
/// (TensorRT cache and JSON) and shown the same way.
/// </summary>
public sealed class ClusterCalibrateCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<string?> _data = CliOptions.Text("--data", "the shards, on storage every silo reads: a folder of IDX image files, .npy files [n, ...] or folders of .npy files, or a .txt list of shard paths", "SHARDS", required: true);
    private readonly Option<string?> _out = CliOptions.Text("--out", "the job's folder on storage every silo writes (per-shard ranges and histograms; a rerun skips shards done)", "DIR", required: true);
    private readonly Option<string?> _table = CliOptions.Text("--table", "where to write the table: X.cache (TensorRT cache, plus X.cache.json) or X.json (plus X.cache)", "OUT", required: true);
    private readonly Option<string> _method = CliOptions.Method();
    private readonly Option<double> _percentile = CliOptions.Number("--percentile", "the percentile of |x| kept by --method percentile", 99.99, 50, 100);
    private readonly Option<int> _batch = CliOptions.Int("--batch", "calibration batch size on the silos", 100, 1, CliOptions.MaxBatch);
    private readonly Option<string?> _normalize = CliOptions.Normalize();
    private readonly Option<string?> _plots = CliOptions.Text("--plots", "folder for one SVG histogram per tensor", "DIR");
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<int[]> _gateway = ClusterClient.GatewayOption();
    private readonly Option<string> _clusterId = ClusterClient.ClusterIdOption();
    private readonly Option<double> _connectTimeout = ClusterClient.ConnectTimeoutOption();

    /// <inheritdoc />
    public override string Name => "calibrate";

    /// <inheritdoc />
    public override string? Group => "cluster";

    /// <inheritdoc />
    public override string Description => "thresholds of every tensor with the shards spread over the cluster's silos: the single-machine table, bit for bit";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var modelPath = run.Required(_model);
        var data = run.Required(_data);
        var output = run.Required(_out);
        var tablePath = run.Required(_table);
        var methodName = run.Get(_method);
        var percentile = run.Get(_percentile);
        var batch = run.Get(_batch);
        var normalize = run.Get(_normalize);
        var plotDir = run.Get(_plots);
        var json = run.Get(_json);
        var cluster = new ClusterAddress(run.Get(_gateway), run.Get(_clusterId), run.Get(_connectTimeout));

        var method = CalibrationFiles.Method(methodName, percentile);
        CalibrationTablePair.CheckWritable(tablePath);
        OutputPaths.CheckFolder(output, "job folder");
        if (plotDir is not null)
        {
            OutputPaths.CheckFolder(plotDir, "plots folder");
        }

        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        var shards = ClusterClient.Shards(data);
        var norm = ClusterClient.Normalization(normalize, model, shards, run.Error);
        var job = ClusterClient.Spec(JobKind.Calibrate, modelPath, shards, output, batch, norm) with
        {
            Method = methodName,
            Percentile = percentile,
        };
        using var interruption = new Interruption();
        if (ClusterClient.Submit(run, cluster, job, json, data, norm, interruption) is not (var spec, { } status))
        {
            return interruption.ExitCode;
        }

        var calibration = JobCalibration.Read(spec);
        var (cache, jsonTable) = CalibrationFiles.Write(calibration.Table, tablePath);
        var plots = plotDir is not null ? HistogramPlot.WriteAll(Path.GetFullPath(plotDir), calibration) : [];
        CalibrationOutput.PrintWarnings(run, calibration, json);
        if (json)
        {
            run.WriteJson(new
            {
                model = modelPath,
                model_sha256 = model.Sha256,
                method = method.Name,
                data,
                shards = shards.Count,
                job = spec.Id,
                job_folder = spec.Output,
                silos = status.PerSilo.Count,
                samples = status.Samples,
                data_hash = calibration.Table.DataHash,
                seconds = status.Seconds,
                table = cache,
                table_json = jsonTable,
                plots,
                notes = model.Notes,
                warnings = calibration.Table.Warnings,
                preprocessing = calibration.Table.Preprocessing?.ToText(),
                tensors = CalibrationOutput.JsonTensors(calibration),
            });
            return 0;
        }

        CalibrationOutput.PrintTable(run.Console, method.Name, calibration);
        run.Console.MarkupLineInterpolated($"{ClusterClient.Summary(status)}");
        run.Console.MarkupLineInterpolated($"table written to {cache} (TensorRT cache) and {jsonTable}");
        if (plots.Count > 0)
        {
            run.Console.MarkupLineInterpolated($"{plots.Count} histogram plots in {Path.GetDirectoryName(plots[0])}");
        }

        return 0;
    }
}
