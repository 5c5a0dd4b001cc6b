using System.CommandLine;
using System.Text.Json;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 cluster eval --model M --data SHARDS --out DIR [--table T]</c>: FP32 and INT8 top-1 and their agreement
/// over labelled shards spread over the silos; every shard's classes go to <c>DIR/ID.eval.json</c> (the disagreements),
/// the counts to <c>DIR/eval.json</c>, and the result is shown as one machine's <c>eval</c> shows it. INT8 ranges: the
/// table, else the model's own QDQ ranges.
/// </summary>
public sealed class ClusterEvalCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<string?> _data = CliOptions.Text("--data", "labelled shards, on storage every silo reads: IDX image files with their label files, .npy files with NAME.labels.npy, or a .txt list", "SHARDS", required: true);
    private readonly Option<string?> _out = CliOptions.Text("--out", "the job's folder on storage every silo writes (ID.eval.json per shard, eval.json; a rerun skips shards done)", "DIR", required: true);
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<string?> _normalize = CliOptions.Normalize();
    private readonly Option<int> _batch = CliOptions.Int("--batch", "batch size of the engines on the silos", 250, 1, CliOptions.MaxBatch);
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<int[]> _gateway = ClusterClient.GatewayOption();
    private readonly Option<string> _clusterId = ClusterClient.ClusterIdOption();
    private readonly Option<double> _connectTimeout = ClusterClient.ConnectTimeoutOption();

    /// <inheritdoc />
    public override string Name => "eval";

    /// <inheritdoc />
    public override string? Group => "cluster";

    /// <inheritdoc />
    public override string Description => "FP32 and INT8 top-1 and their agreement on labelled shards spread over the cluster's silos";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var modelPath = run.Required(_model);
        var data = run.Required(_data);
        var output = run.Required(_out);
        var tablePath = run.Get(_table);
        var normalize = run.Get(_normalize);
        var batch = run.Get(_batch);
        var json = run.Get(_json);
        var cluster = new ClusterAddress(run.Get(_gateway), run.Get(_clusterId), run.Get(_connectTimeout));

        OutputPaths.CheckFolder(output, "job folder");
        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        var table = ClusterClient.Ranges(tablePath, model, modelPath, int8: true);
        var shards = ClusterClient.Shards(data);
        var norm = ClusterClient.Normalization(normalize, model, shards, run.Error);
        var job = ClusterClient.Spec(JobKind.Eval, modelPath, shards, output, batch, norm) with
        {
            Table = tablePath is null ? null : Path.GetFullPath(tablePath),
        };
        ClusterClient.CheckPreprocessing(table, job);
        using var interruption = new Interruption();
        if (ClusterClient.Submit(run, cluster, job, json, data, norm, interruption) is not (var spec, { } status))
        {
            return interruption.ExitCode;
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(JobFiles.EvalSummary(spec)));
        var root = summary.RootElement;
        var (images, fp32, int8, agreement) = (root.GetProperty("samples").GetInt64(), root.GetProperty("fp32_top1").GetDouble(), root.GetProperty("int8_top1").GetDouble(), root.GetProperty("agreement").GetDouble());
        var rate = status.Seconds > 0 ? status.Samples / status.Seconds : 0;
        var ranges = tablePath is not null ? "calibration table " + tablePath : "the model's QDQ ranges";
        if (json)
        {
            run.WriteJson(new
            {
                model = modelPath,
                data,
                shards = shards.Count,
                images,
                fp32_top1 = fp32,
                int8_top1 = int8,
                agreement,
                images_per_s = rate,
                seconds = status.Seconds,
                silos = status.PerSilo.Count,
                job = spec.Id,
                job_folder = spec.Output,
                ranges,
                notes = model.Notes,
            });
            return 0;
        }

        EvalOutput.PrintTable(run.Console, images, fp32, int8, agreement, ("images/s (both engines)", string.Empty, EvalOutput.Rate(rate)));
        run.Console.MarkupLineInterpolated($"INT8 ranges: {ranges}");
        run.Console.MarkupLineInterpolated($"{ClusterClient.Summary(status)}; per-shard classes in {spec.Output}");
        return 0;
    }
}
