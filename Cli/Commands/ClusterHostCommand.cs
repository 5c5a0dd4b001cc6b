using System.CommandLine;
using System.Globalization;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Cluster.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 cluster host [--silo-port 11111] [--gateway-port 30000] [--primary-port P] [--json]</c>: runs a silo of an
/// Orleans cluster on this machine (localhost clustering: the first silo is the primary and holds the membership; the
/// others join it with --primary-port). The silo owns this process's device (--device) and runs the shards the cluster's
/// jobs give it. It prints where it listens (under --json as one object) and runs until Ctrl-C (exit 130, "interrupted") or SIGTERM (143), stopping
/// gracefully: a shard in progress is abandoned between batches and given to another silo.
/// </summary>
public sealed class ClusterHostCommand : CliCommand
{
    private readonly Option<int> _siloPort = CliOptions.Port("--silo-port", "silo-to-silo port of this silo", 11111);
    private readonly Option<int> _gatewayPort = CliOptions.Port("--gateway-port", "client gateway port of this silo (clients pass it as --gateway)", ClusterClient.DefaultGateway);
    private readonly Option<int?> _primaryPort = CliOptions.OptionalPort("--primary-port", "silo port of the primary silo to join (default: this silo is the primary)");
    private readonly Option<string> _clusterId = CliOptions.TextWithDefault("--cluster-id", "the cluster id (silos and clients of one cluster share it)", ClusterClient.DefaultClusterId, "ID");
    private readonly Option<string?> _name = CliOptions.Text("--name", "the silo's name in the cluster (default: chosen by Orleans)", "NAME");
    private readonly Option<double?> _stopAfter = CliOptions.OptionalNumber("--stop-after", "stop the silo gracefully after this many seconds (exit 0; default: run until Ctrl-C)", 0, 1e7);
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();

    /// <inheritdoc />
    public override string Name => "host";

    /// <inheritdoc />
    public override string? Group => "cluster";

    /// <inheritdoc />
    public override string Description => "run a silo on this machine (localhost clustering) until Ctrl-C; jobs from `cluster calibrate|eval|run` use its device";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var stopping = new CancellationTokenSource();
        var settings = new SiloSettings
        {
            SiloPort = run.Get(_siloPort),
            GatewayPort = run.Get(_gatewayPort),
            PrimarySiloPort = run.Get(_primaryPort),
            ClusterId = run.Get(_clusterId),
            Name = run.Get(_name),
            // Orleans' warnings on a working silo are notes (ServerGC, slow threads); its errors go to stderr.
            LogLevel = LogLevel.Error,
            Quiet = stopping.Token,
        };
        var stopAfter = run.Get(_stopAfter);
        var json = run.Get(_json);
        using var device = run.UseDevice(_device);
        if (settings.SiloPort == settings.GatewayPort)
        {
            throw new CliUsageException($"--silo-port and --gateway-port must differ (both {settings.SiloPort}).");
        }

        if (settings.PrimarySiloPort is { } p && (p == settings.SiloPort || p == settings.GatewayPort))
        {
            throw new CliUsageException($"--primary-port {p} is this silo's own port: leave it out to make this silo the primary, or give the primary's --silo-port.");
        }

        if (string.IsNullOrWhiteSpace(settings.ClusterId))
        {
            throw new CliUsageException("--cluster-id needs a value.");
        }

        using var interruption = new Interruption();
        // Under --json stdout gets one object once the silo listens; the text lines go nowhere.
        var output = json ? TextWriter.Null : run.Console.Profile.Out.Writer;
        output.WriteLine($"device  {Engines.DeviceLine()}");
        IHost silo;
        try
        {
            silo = ClusterHosting.StartLocalSiloAsync(settings, interruption.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (!interruption.Interrupted)
        {
            throw new ClusterException(
                $"the silo could not start on ports {settings.SiloPort} (silo) and {settings.GatewayPort} (gateway): {ex.GetBaseException().Message} (a port in use? choose others with --silo-port and --gateway-port{(settings.PrimarySiloPort is null ? string.Empty : "; is the primary running?")}).", ex);
        }
        catch (OperationCanceledException)
        {
            run.Error.WriteLine("ilgpu-int8: interrupted");
            return interruption.ExitCode;
        }

        using (silo)
        {
            var role = settings.PrimarySiloPort is { } primary
                ? $"joined the primary silo at 127.0.0.1:{primary}"
                : "the primary silo: others join with --primary-port " + settings.SiloPort.ToString(CultureInfo.InvariantCulture);
            output.WriteLine($"silo    listening on 127.0.0.1:{settings.SiloPort} (silos) and 127.0.0.1:{settings.GatewayPort} (clients)");
            output.WriteLine($"cluster '{settings.ClusterId}', localhost clustering; {role}");
            output.WriteLine($"clients ilgpu-int8 cluster calibrate|eval|run --gateway {settings.GatewayPort} --cluster-id {settings.ClusterId} ...");
            output.WriteLine("        Ctrl-C stops this silo");
            output.Flush();
            if (json)
            {
                run.WriteJson(new
                {
                    silo = $"127.0.0.1:{settings.SiloPort}",
                    gateway = $"127.0.0.1:{settings.GatewayPort}",
                    cluster_id = settings.ClusterId,
                    primary = settings.PrimarySiloPort is { } pp ? $"127.0.0.1:{pp}" : null,
                    device = Engines.DeviceLine(),
                });
                run.Console.Profile.Out.Writer.Flush();
            }
            var lifetime = (IHostApplicationLifetime?)silo.Services.GetService(typeof(IHostApplicationLifetime));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(interruption.Token, lifetime?.ApplicationStopping ?? CancellationToken.None);
            if (stopAfter is { } seconds)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            stop.Token.WaitHandle.WaitOne();

            // The stop asked for: what Orleans says of the work it cancels while stopping is not an error of this run.
            stopping.Cancel();
            silo.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        if (interruption.Interrupted)
        {
            run.Error.WriteLine("ilgpu-int8: interrupted");
            return interruption.ExitCode;
        }

        output.WriteLine("silo    stopped");
        return 0;
    }
}
