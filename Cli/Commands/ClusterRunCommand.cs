using System.CommandLine;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 cluster run --model M --data SHARDS --out DIR [--precision int8 --table T]</c>: batch inference over the
/// shards, spread over the silos. Each shard's outputs go to <c>DIR/ID.npz</c> (one float32 .npy per network output,
/// <c>numpy.load</c> reads it), written atomically and once: a rerun, or a silo that died mid-shard, never leaves a
/// partial file, and shards already written are skipped.
/// </summary>
public sealed class ClusterRunCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<string?> _data = CliOptions.Text("--data", "the input shards, on storage every silo reads: IDX image files, .npy files [n, ...] or folders of .npy files, or a .txt list", "SHARDS", required: true);
    private readonly Option<string?> _out = CliOptions.Text("--out", "the folder every silo writes the outputs to (ID.npz per shard, job.json; a rerun skips shards done)", "DIR", required: true);
    private readonly Option<string> _precision = CliOptions.Choice("--precision", "engine precision", "fp32", "fp32", "int8");
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<string?> _normalize = CliOptions.Normalize();
    private readonly Option<int> _batch = CliOptions.Int("--batch", "batch size of the engines on the silos", 100, 1, CliOptions.MaxBatch);
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<int[]> _gateway = ClusterClient.GatewayOption();
    private readonly Option<string> _clusterId = ClusterClient.ClusterIdOption();
    private readonly Option<double> _connectTimeout = ClusterClient.ConnectTimeoutOption();

    /// <inheritdoc />
    public override string Name => "run";

    /// <inheritdoc />
    public override string? Group => "cluster";

    /// <inheritdoc />
    public override string Description => "batch inference over shards spread over the cluster's silos: one .npz of outputs per shard, written atomically";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var modelPath = run.Required(_model);
        var data = run.Required(_data);
        var output = run.Required(_out);
        var int8 = run.Get(_precision) == "int8";
        var tablePath = run.Get(_table);
        var normalize = run.Get(_normalize);
        var batch = run.Get(_batch);
        var json = run.Get(_json);
        var cluster = new ClusterAddress(run.Get(_gateway), run.Get(_clusterId), run.Get(_connectTimeout));

        if (tablePath is not null && !int8)
        {
            throw new CliUsageException("--table is for --precision int8.");
        }

        OutputPaths.CheckFolder(output, "output folder");
        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        var table = ClusterClient.Ranges(tablePath, model, modelPath, int8);
        var shards = ClusterClient.Shards(data);
        var norm = ClusterClient.Normalization(normalize, model, shards, run.Error);
        var job = ClusterClient.Spec(JobKind.Run, modelPath, shards, output, batch, norm) with
        {
            Int8 = int8,
            Table = tablePath is null ? null : Path.GetFullPath(tablePath),
        };
        ClusterClient.CheckPreprocessing(table, job);
        using var interruption = new Interruption();
        if (ClusterClient.Submit(run, cluster, job, json, data, norm, interruption) is not (var spec, { } status))
        {
            return interruption.ExitCode;
        }

        var files = shards.Select((s, i) => Path.Combine(spec.Output, Cluster.Shards.ShardList.Id(i, s) + ".npz")).ToList();
        if (json)
        {
            run.WriteJson(new
            {
                model = modelPath,
                precision = int8 ? "int8" : "fp32",
                data,
                shards = shards.Count,
                samples = status.Samples,
                written = status.Written,
                skipped = status.Skipped,
                retries = status.Retries,
                seconds = status.Seconds,
                images_per_s = status.Seconds > 0 ? status.Samples / status.Seconds : 0,
                silos = status.PerSilo.Count,
                job = spec.Id,
                job_record = JobFiles.Record(spec),
                outputs = files,
                notes = model.Notes,
            });
            return 0;
        }

        run.Console.MarkupLineInterpolated($"{ClusterClient.Summary(status)}");
        run.Console.MarkupLineInterpolated($"outputs: {files.Count} files {spec.Output}/NNNN-SHARD.npz (one float32 .npy per network output; numpy.load reads them)");
        return 0;
    }
}
