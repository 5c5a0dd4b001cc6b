using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cluster.Hosting;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using ILGPUInt8.Cluster.Shards;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// The client side of <c>ilgpu-int8 cluster calibrate|eval|run</c>: the connection options every client command has, the
/// shards and normalization of a job, connecting within a timeout (never a hang: no answer is a <see cref="ClusterException"/>),
/// and following a job with progress bars until it ends.
/// </summary>
public static class ClusterClient
{
    /// <summary>The default gateway port (the default of <c>cluster host --gateway-port</c>).</summary>
    public const int DefaultGateway = 30000;

    /// <summary>The default cluster id.</summary>
    public const string DefaultClusterId = "ilgpu-int8";

    /// <summary>--gateway PORT...: the silos' client gateways on this machine.</summary>
    public static Option<int[]> GatewayOption() =>
        CliOptions.Ports("--gateway", "client gateway port of a silo on this machine (`cluster host --gateway-port`); several: --gateway 30000 30001 (any that answers will do)", DefaultGateway);

    /// <summary>--cluster-id: the cluster to join.</summary>
    public static Option<string> ClusterIdOption() =>
        CliOptions.TextWithDefault("--cluster-id", "the cluster id the silos were started with", DefaultClusterId, "ID");

    /// <summary>--connect-timeout: seconds to wait for a silo to answer.</summary>
    public static Option<double> ConnectTimeoutOption() =>
        CliOptions.Number("--connect-timeout", "seconds to wait for the cluster to answer before giving up (exit 1)", 10, 0.1, 3600);

    /// <summary>The shards of <c>--data</c> (<see cref="ShardList"/>).</summary>
    public static IReadOnlyList<string> Shards(string data) => ShardList.Resolve(data);

    /// <summary>True when some shard is IDX images (pixels normalized by --normalize or the model's metadata).</summary>
    public static bool HasImages(IReadOnlyList<string> shards) => shards.Any(s => File.Exists(s) && ShardInput.IsIdxImages(Path.GetFileName(s)));

    /// <summary>What the job runs over, for the "data" line: "10 shards of DIR (normalization)".</summary>
    public static string Describe(IReadOnlyList<string> shards, string data, Normalization normalization)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var count = shards.Count == 1 ? "1 shard" : $"{shards.Count} shards";
        return HasImages(shards) ? $"{count} of {data} (IDX pixels: {normalization})" : $"{count} of {data}";
    }

    /// <summary>The normalization of IDX shards: --normalize, else the model's own (as the single-machine commands do).</summary>
    public static Normalization Normalization(string? text, ModelFile model, IReadOnlyList<string> shards, TextWriter warnings) =>
        HasImages(shards) ? Common.Normalization.Resolve(text, model, warnings) : Common.Normalization.Parse(text);

    /// <summary>
    /// A job over <paramref name="shards"/> with the fields every client command fills alike (full paths, batch size, the
    /// IDX normalization); the command adds its own with <c>with</c>, then <see cref="Submit"/> names and runs it.
    /// </summary>
    public static JobSpec Spec(JobKind kind, string model, IReadOnlyList<string> shards, string output, int batch, Normalization normalization)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(normalization);
        return new JobSpec
        {
            Id = string.Empty,
            Kind = kind,
            Model = Path.GetFullPath(model),
            Shards = [.. shards.Select(Path.GetFullPath)],
            Output = Path.GetFullPath(output),
            BatchSize = batch,
            NormalizeMean = normalization.Mean,
            NormalizeStd = normalization.Std,
        };
    }

    /// <summary>
    /// The table an INT8 job takes its ranges from, read and checked against the model here, before the silos see it;
    /// null when there is none (the model's own QDQ ranges serve, or the job is FP32). INT8 with neither is a usage error.
    /// </summary>
    public static CalibrationTable? Ranges(string? tablePath, ModelFile model, string modelPath, bool int8)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (tablePath is not null)
        {
            return CalibrationFiles.ReadTable(tablePath, model);
        }

        if (int8 && model.QdqRanges == 0)
        {
            throw new CliUsageException($"INT8 needs activation ranges: give --table (made by `ilgpu-int8 cluster calibrate` or `calibrate`), or use a QDQ-quantized model. '{modelPath}' has no QDQ ranges.");
        }

        return null;
    }

    /// <summary>
    /// What every client command does with its job: names it (<see cref="JobId"/>), prints the "data" line (not under
    /// --json), runs it with progress (<see cref="RunJob"/>) and fails on failed shards (<see cref="ThrowIfFailed"/>).
    /// The named job and its status; a null status when Ctrl-C stopped following (exit with <see cref="Interruption.ExitCode"/>).
    /// </summary>
    public static (JobSpec Spec, JobStatus? Status) Submit(CliInvocation run, ClusterAddress cluster, JobSpec spec, bool json, string data, Normalization normalization, Interruption interruption)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(spec);
        spec = spec with { Id = JobId(spec) };
        if (!json)
        {
            run.Console.MarkupLineInterpolated($"data    {Describe(spec.Shards, data, normalization)}");
        }

        if (RunJob(run, cluster, spec, !json, interruption) is not { } status)
        {
            return (spec, null);
        }

        ThrowIfFailed(run, status);
        return (spec, status);
    }

    /// <summary>
    /// Refuses a table measured on inputs prepared otherwise than the job's IDX shards will be (as one machine's engine
    /// builder does): the silos would build engines whose ranges do not fit their inputs.
    /// </summary>
    public static void CheckPreprocessing(CalibrationTable? table, JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (table?.Preprocessing is { } measured && JobCalibration.Preprocessing(spec) is { } inputs && !inputs.Matches(measured))
        {
            throw new InvalidDataException(
                $"The calibration table was measured on inputs prepared as {measured}, but the shards' pixels are prepared as {inputs}: give the table's --normalize, or calibrate again.");
        }
    }

    /// <summary>A job id that names this job and nothing else: the same command line follows (or resumes) the same job.</summary>
    public static string JobId(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = JsonSerializer.Serialize(spec with { Id = string.Empty, Output = Path.GetFullPath(spec.Output), Model = Path.GetFullPath(spec.Model) });
        return $"{spec.Kind.ToString().ToLowerInvariant()}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16]}";
    }

    /// <summary>
    /// Connects to the cluster and runs <paramref name="spec"/> to its end with progress bars (hidden when
    /// <paramref name="show"/> is false). Ctrl-C stops following (the job runs on: the same command follows it again):
    /// null, after "interrupted" on stderr; the command then exits with <see cref="Interruption.ExitCode"/>.
    /// </summary>
    public static JobStatus? RunJob(CliInvocation run, ClusterAddress cluster, JobSpec spec, bool show, Interruption interruption)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(interruption);
        if (spec.Problem() is { } problem)
        {
            throw new InvalidDataException($"The job cannot run: {problem}.");
        }

        try
        {
            using var client = Connect(cluster, interruption.Token);
            try
            {
                return Follow(run, spec, show, interruption, client.Services.GetRequiredService<IGrainFactory>());
            }
            finally
            {
                // Leave the cluster politely (bounded: a dead cluster must not hold the command).
                _ = client.StopAsync(CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(5));
            }
        }
        catch (OperationCanceledException) when (interruption.Interrupted)
        {
            run.Error.WriteLine($"ilgpu-int8: interrupted (job '{spec.Id}' runs on in the cluster; the same command follows it again)");
            return null;
        }
    }

    private static JobStatus Follow(CliInvocation run, JobSpec spec, bool show, Interruption interruption, IGrainFactory grains) =>
        ProgressBars.Run(run.Console, show, bars =>
        {
            var phase = string.Empty;
            IProgressBar? bar = null;
            var progress = new InlineProgress<JobStatus>(s =>
            {
                if (s.Phase.Length > 0 && s.Phase != phase)
                {
                    bar?.Finish();
                    phase = s.Phase;
                    bar = bars.Add($"{spec.Kind.ToString().ToLowerInvariant()}: {phase} ({s.Total} shards)", s.Total);
                }

                bar?.SetValue(s.Done);
            });
            var status = JobClient.RunAsync(grains, spec, progress, cancellationToken: interruption.Token).GetAwaiter().GetResult();
            bar?.Finish();
            return status;
        });

    /// <summary>Ends the command for a job that did not complete, or completed with failed shards (listed on stderr first).</summary>
    public static void ThrowIfFailed(CliInvocation run, JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(status);
        if (status.State != JobState.Completed)
        {
            throw new InvalidDataException($"The job failed: {status.Message}");
        }

        foreach (var failure in status.Failures)
        {
            run.Error.WriteLine($"ilgpu-int8: warning: {failure}");
        }

        if (status.Failures.Count > 0)
        {
            throw new InvalidDataException($"{status.Failures.Count} shard(s) failed (listed above); the others are done. Fix them and run the same command again: finished shards are skipped.");
        }
    }

    /// <summary>One line: shards, samples, silos and time of a finished job.</summary>
    public static string Summary(JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var rate = status.Seconds > 0 ? status.Samples / status.Seconds : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"{status.Written} shard results written, {status.Skipped} already there; {status.Samples} samples in {status.Seconds:F2} s ({rate:N0}/s) on {status.PerSilo.Count} silo(s), {status.Retries} retries");
    }

    /// <summary>A client of the silos at <paramref name="cluster"/>, connected within its timeout, or a <see cref="ClusterException"/>.</summary>
    private static IHost Connect(ClusterAddress cluster, CancellationToken cancellationToken)
    {
        var (ports, clusterId, timeout) = (cluster.Ports, cluster.ClusterId, TimeSpan.FromSeconds(cluster.TimeoutSeconds));
        var where = string.Create(CultureInfo.InvariantCulture, $"no cluster '{clusterId}' answered at localhost gateway port(s) {string.Join(", ", ports)} within {timeout.TotalSeconds:G3} s");
        var advice = "start silos with `ilgpu-int8 cluster host` or check --gateway, --cluster-id and --connect-timeout.";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        // Orleans' own log stays silent: every failure ends here as one error line.
        var start = ClusterHosting.ConnectLocalClientAsync(ports, clusterId, cancellationToken: limit.Token, logLevel: LogLevel.None);
        try
        {
            return start.WaitAsync(timeout, cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abandon(start);
            throw;
        }
        catch (Exception ex)
        {
            Abandon(start);
            var why = ex is TimeoutException or OperationCanceledException ? string.Empty : $" ({ex.GetBaseException().Message})";
            throw new ClusterException($"{where}{why}: {advice}", ex);
        }
    }

    private static void Abandon(Task<IHost> start) =>
        _ = start.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
}

/// <summary>Where the cluster is: the silos' gateway ports on this machine, the cluster id, and how long to wait for an answer.</summary>
/// <param name="Ports">Gateway ports (--gateway).</param>
/// <param name="ClusterId">The cluster id (--cluster-id).</param>
/// <param name="TimeoutSeconds">Seconds to wait for a silo (--connect-timeout).</param>
public sealed record ClusterAddress(int[] Ports, string ClusterId, double TimeoutSeconds);
