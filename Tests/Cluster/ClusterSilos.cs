using ILGPUInt8.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace ILGPUInt8.Tests.Cluster;

/// <summary>Orleans test clusters of silos in this process (in-memory transport) with the engines and quick failure detection.</summary>
public static class ClusterSilos
{
    /// <summary>Starts <paramref name="silos"/> silos and a client.</summary>
    public static async Task<TestCluster> StartAsync(short silos)
    {
        var builder = new TestClusterBuilder(silos);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddInt8Engines();
            // A killed silo is declared dead within seconds (three missed 1 s probes, one vote suffices); a live one that
            // a loaded CI machine stalls for a second or two is not.
            siloBuilder.Services.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 3;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.AddInt8Engines();
    }
}
