using System.Net;
using ILGPUInt8.Cluster.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans.Configuration;
using Orleans.Serialization;

namespace ILGPUInt8.Cluster.Hosting;

/// <summary>Where a silo listens and which cluster it joins (localhost clustering: the primary silo holds the membership).</summary>
public sealed record SiloSettings
{
    /// <summary>Cluster id: silos and clients of one cluster share it.</summary>
    public string ClusterId { get; init; } = "ilgpu-int8";

    /// <summary>Service id (stable across redeployments).</summary>
    public string ServiceId { get; init; } = "ilgpu-int8";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>The primary silo's silo port (null: this silo is the primary).</summary>
    public int? PrimarySiloPort { get; init; }

    /// <summary>The silo's name (null: Orleans picks one).</summary>
    public string? Name { get; init; }

    /// <summary>The least severe log messages shown (on stderr).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    /// <summary>
    /// Once canceled, the silo logs nothing more: a stop its user asked for (Ctrl-C), where Orleans reports the calls and
    /// background work it cancels as errors that are not the user's.
    /// </summary>
    public CancellationToken Quiet { get; init; }
}

/// <summary>
/// Silos and clients of an ILGPUInt8 cluster. A silo owns this process's device (CUDA when present, else the CPU
/// backend) through <see cref="SiloEngines"/> and hosts the engine and job grains. <see cref="AddInt8Engines(ISiloBuilder)"/> is all a
/// silo needs besides its clustering, so production silos keep their own membership provider: Redis
/// (<c>Microsoft.Orleans.Clustering.Redis</c>, <c>UseRedisClustering</c>) or a database (<c>Microsoft.Orleans.Clustering.AdoNet</c>,
/// <c>UseAdoNetClustering</c>) instead of <see cref="StartLocalSiloAsync"/>'s localhost clustering (docs/scale-out.md).
/// </summary>
public static class ClusterHosting
{
    /// <summary>Shards can take minutes: calls wait this long before Orleans gives up on them (a dead silo fails them sooner).</summary>
    public static readonly TimeSpan ShardCallTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The silo's engines and the call timeout for long shards.</summary>
    public static ISiloBuilder AddInt8Engines(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddSerializer(s => s.AddAssembly(typeof(ClusterHosting).Assembly));
        silo.Services.AddSingleton<SiloEngines>();
        silo.Services.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ShardCallTimeout);
        return silo;
    }

    /// <summary>The grain interfaces and messages, for a client (found without the entry assembly's help).</summary>
    public static IClientBuilder AddInt8Engines(this IClientBuilder client)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.Services.AddSerializer(s => s.AddAssembly(typeof(ClusterHosting).Assembly));
        return client;
    }

    /// <summary>Starts a silo on this machine with localhost clustering; dispose the host to stop it.</summary>
    public static async Task<IHost> StartLocalSiloAsync(SiloSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateApplicationBuilder();
        Logging(builder, settings.LogLevel, settings.Quiet);
        builder.UseOrleans(silo =>
        {
            var primary = settings.PrimarySiloPort is { } p ? new IPEndPoint(IPAddress.Loopback, p) : null;
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primary, settings.ServiceId, settings.ClusterId);
            if (settings.Name is { } name)
            {
                silo.Configure<SiloOptions>(o => o.SiloName = name);
            }

            silo.AddInt8Engines();
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>Runs a local silo until <paramref name="cancellationToken"/> fires (Ctrl-C in a host command), then stops it gracefully.</summary>
    public static async Task RunLocalSiloAsync(SiloSettings settings, CancellationToken cancellationToken)
    {
        using var host = await StartLocalSiloAsync(settings, cancellationToken);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Asked to stop.
        }

        await host.StopAsync(CancellationToken.None);
    }

    /// <summary>Connects a client to the silos' gateways on this machine.</summary>
    public static async Task<IHost> ConnectLocalClientAsync(IReadOnlyList<int> gatewayPorts, string clusterId = "ilgpu-int8", string serviceId = "ilgpu-int8", CancellationToken cancellationToken = default, LogLevel logLevel = LogLevel.Warning)
    {
        ArgumentNullException.ThrowIfNull(gatewayPorts);
        var builder = Host.CreateApplicationBuilder();
        Logging(builder, logLevel);
        builder.UseOrleansClient(client => client.UseLocalhostClustering([.. gatewayPorts], serviceId, clusterId).AddInt8Engines());
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>
    /// Log messages from <paramref name="level"/> up, all on stderr (stdout is the command's: tables, JSON); none once
    /// <paramref name="quiet"/> is canceled.
    /// </summary>
    private static void Logging(HostApplicationBuilder builder, LogLevel level, CancellationToken quiet = default)
    {
        builder.Logging.SetMinimumLevel(level);
        builder.Logging.AddFilter((_, _, l) => l >= level && !quiet.IsCancellationRequested);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
