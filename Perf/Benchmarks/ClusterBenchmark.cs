using System.Diagnostics;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Cluster.Hosting;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Shards;
using ILGPUInt8.Cluster.Work;
using ILGPUInt8.Perf.Harness;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// The cost of the Orleans cluster on one machine: the same jobs (calibrate, then INT8 run with that table; the
/// Fashion-MNIST CNN over its 3000 shipped test images cut into 20 IDX shards of 150) run by one process
/// (<see cref="LocalJob"/>: shards one after another) and by <c>--silos</c> silos (default 2) started in this process on
/// localhost TCP ports (<c>--port</c>, default 21111: silo ports from there, gateways from port + 100) with a client.
/// Both run once untimed (engines built, code jitted), then <c>--repeats</c> times (default 3) in turns, into fresh output folders;
/// the median job time gives images/s, and the ratio cluster / one process is the engine's overhead (the issue asks
/// for ≥ 0.8). Prints the load average before and after (the machine may be shared).
/// </summary>
public sealed class ClusterBenchmark : IBenchmark
{
    private const int Shards = 20;
    private const int PerShard = 150;

    /// <inheritdoc />
    public string Name => "cluster";

    /// <inheritdoc />
    public string Description => "Orleans cluster on this machine (N silos, TCP) vs one process: images/s of calibrate and INT8 run jobs over 20 shards";

    /// <inheritdoc />
    public void Run(BenchContext context) => RunAsync(context).GetAwaiter().GetResult();

    private static async Task RunAsync(BenchContext context)
    {
        var silos = int.Parse(context.Option("silos", "2"), System.Globalization.CultureInfo.InvariantCulture);
        var port = int.Parse(context.Option("port", "21111"), System.Globalization.CultureInfo.InvariantCulture);
        var repeats = int.Parse(context.Option("repeats", "3"), System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"  {Environment.ProcessorCount} cores, load average {LoadAverage()}; {silos} silos, {Shards} shards of {PerShard} images");
        var dir = Directory.CreateTempSubdirectory("ilgpu-int8-perf-cluster-").FullName;
        try
        {
            var shards = WriteShards(dir);
            var model = Path.Combine(RepositoryRoot(), "Models", "fashion_cnn.onnx");
            var calibrate = new JobSpec
            {
                Id = "perf-calibrate",
                Kind = JobKind.Calibrate,
                Model = model,
                Shards = shards,
                Output = "",
                BatchSize = 100,
                NormalizeMean = 0.2860f,
                NormalizeStd = 0.3530f,
            };
            var run = calibrate with { Id = "perf-run", Kind = JobKind.Run, Int8 = true, Table = Path.Combine(dir, "table.json") };

            // One process: the table comes from here (the cluster's is the same bit for bit, tested in Tests/Cluster).
            using var engines = new SiloEngines();
            Task<JobStatus> Local(JobSpec spec) => LocalJob.RunAsync(spec, engines);
            await Check(Local(calibrate with { Output = dir }));
            var hosts = new List<IHost>();
            try
            {
                for (var s = 0; s < silos; s++)
                {
                    hosts.Add(await ClusterHosting.StartLocalSiloAsync(new SiloSettings
                    {
                        SiloPort = port + s,
                        GatewayPort = port + 100 + s,
                        PrimarySiloPort = s == 0 ? null : port,
                        Name = $"perf-silo-{s}",
                        ClusterId = "ilgpu-int8-perf",
                    }));
                }

                using var client = await ClusterHosting.ConnectLocalClientAsync([.. Enumerable.Range(port + 100, silos)], "ilgpu-int8-perf");
                var grains = client.Services.GetRequiredService<IGrainFactory>();
                Task<JobStatus> Cluster(JobSpec spec) => JobClient.RunAsync(grains, spec with { Id = spec.Id + "-" + Guid.NewGuid().ToString("N") }, poll: TimeSpan.FromMilliseconds(20));

                // Warm-up (engines built on every silo, code jitted), then one process and the cluster in turns, so that
                // a load that changes on a shared machine weighs on both alike.
                var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
                for (var r = 0; r <= repeats; r++)
                {
                    foreach (var spec in new[] { calibrate, run })
                    {
                        foreach (var (mode, job) in new (string, Func<JobSpec, Task<JobStatus>>)[] { ("local", Local), ("cluster", Cluster) })
                        {
                            var watch = Stopwatch.StartNew();
                            await Check(job(spec with { Output = Path.Combine(dir, $"{mode}-{spec.Kind}-{r}") }));
                            if (r > 0)
                            {
                                var key = $"{mode} {spec.Kind}";
                                times[key] = [.. times.GetValueOrDefault(key) ?? [], watch.Elapsed.TotalSeconds];
                            }
                        }
                    }
                }

                const int images = Shards * PerShard;
                foreach (var spec in new[] { calibrate, run })
                {
                    var kind = spec.Kind.ToString().ToLowerInvariant();
                    double one = Median(times[$"local {spec.Kind}"]), many = Median(times[$"cluster {spec.Kind}"]);
                    Console.WriteLine($"  {kind}: 1 process {string.Join(", ", times[$"local {spec.Kind}"].Select(t => $"{t:F3}"))} s; {silos} silos {string.Join(", ", times[$"cluster {spec.Kind}"].Select(t => $"{t:F3}"))} s");
                    context.Add(new BenchResult("cluster", $"{kind} 1 process", one * 1000, images / one, "img/s"));
                    context.Add(new BenchResult("cluster", $"{kind} {silos} silos", many * 1000, images / many, "img/s", one / many, "cluster / 1 process"));
                }

                await client.StopAsync();
            }
            finally
            {
                foreach (var host in hosts.AsEnumerable().Reverse())
                {
                    await host.StopAsync();
                    host.Dispose();
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        Console.WriteLine($"  load average after: {LoadAverage()}");
    }

    private static double Median(List<double> times) => times.Order().ElementAt(times.Count / 2);

    private static async Task Check(Task<JobStatus> job)
    {
        var status = await job;
        if (status.State != JobState.Completed || status.Failures.Count > 0)
        {
            throw new InvalidOperationException($"job {status.State}: {status.Message} {string.Join("; ", status.Failures)}");
        }
    }

    private static List<string> WriteShards(string dir)
    {
        var data = Path.Combine(dir, "shards");
        Directory.CreateDirectory(data);
        var images = IdxFile.Read(Path.Combine(RepositoryRoot(), "Models", "data", "fashion-t10k-3000-images.idx.gz"));
        const int pixels = 28 * 28;
        for (var s = 0; s < Shards; s++)
        {
            var bytes = images.RawData.Slice(s * PerShard * pixels, PerShard * pixels).ToArray();
            IdxFile.Write(Path.Combine(data, $"part-{s:D2}-images-idx3-ubyte"), new IdxArray(IdxType.UInt8, [PerShard, 28, 28], bytes));
        }

        return [.. ShardList.Resolve(data)];
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ILGPUInt8.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (ILGPUInt8.sln) was not found above " + AppContext.BaseDirectory);
    }
}
