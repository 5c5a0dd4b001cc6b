using System.IO.Compression;
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cluster.Grains;
using ILGPUInt8.Cluster.Hosting;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using ILGPUInt8.Cluster.Shards;
using ILGPUInt8.Cluster.Work;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Onnx;
using Orleans.TestingHost;
using Xunit;

namespace ILGPUInt8.Tests.Cluster;

/// <summary>
/// Jobs on a 3-silo Orleans cluster in this process (CPU backend, the Fashion-MNIST model, 30 shards of 10 images)
/// against one machine: the same table bit for bit, the same outputs and eval files; a silo killed mid-job loses nothing;
/// a shard with bad data fails alone, named, and a rerun skips what is done.
/// </summary>
public sealed class ClusterJobTests
{
    [Fact]
    public async Task ThirtyShardsGiveTheSingleMachineTableOutputsAndEval()
    {
        using var shards = new ClusterShards();
        var list = ShardList.Resolve(shards.Data);
        Assert.Equal(ClusterShards.Count, list.Count);
        await using var cluster = await ClusterSilos.StartAsync(3);

        // Calibration: the cluster's table against the Calibrator's two passes over the same batches on one machine.
        var calibrate = await RunOk(cluster, Spec(JobKind.Calibrate, list, shards.Path("cluster-calibrate")));
        Assert.True(calibrate.PerSilo.Count >= 2, $"work went to {calibrate.PerSilo.Count} silo(s): {string.Join(", ", calibrate.PerSilo)}");
        var tablePath = Path.Combine(shards.Path("cluster-calibrate"), "table.json");
        var table = CalibrationJson.Read(tablePath);
        var expected = OneMachineTable(list);
        Assert.Equal(expected.Tensors.Count, table.Tensors.Count);
        Assert.True(expected.Tensors.Count >= 5);
        for (var i = 0; i < expected.Tensors.Count; i++)
        {
            var (e, a) = (expected.Tensors[i], table.Tensors[i]);
            Assert.Equal(e.Name, a.Name);
            Assert.True(BitConverter.DoubleToInt64Bits(e.Threshold) == BitConverter.DoubleToInt64Bits(a.Threshold), $"{e.Name}: threshold {e.Threshold:R} on one machine, {a.Threshold:R} on the cluster");
            Assert.Equal(BitConverter.SingleToInt32Bits(e.Scale), BitConverter.SingleToInt32Bits(a.Scale));
            Assert.Equal(e.Amax, a.Amax);
            Assert.Equal((e.Batches, e.Count, e.NonFinite, e.Method), (a.Batches, a.Count, a.NonFinite, a.Method));
        }

        Assert.Equal(expected.DataHash, table.DataHash);
        Assert.Equal(expected.ModelHash, table.ModelHash);

        // Inference: INT8 with that table, every shard's outputs against the engine run batch by batch here.
        var run = Spec(JobKind.Run, list, shards.Path("cluster-run")) with { Int8 = true, Table = tablePath };
        var runStatus = await RunOk(cluster, run);
        Assert.Equal(ClusterShards.Count, runStatus.Written);
        var model = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn);
        using var engine = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = ClusterShards.Batch, Int8 = true, CalibrationTable = expected.ToThresholds() });
        using var context = engine.CreateExecutionContext();
        for (var s = 0; s < list.Count; s++)
        {
            var shard = ShardInput.Load(list[s], model.Network.Inputs[0].Name, ClusterShards.Batch, ClusterShards.Mean, ClusterShards.Std);
            var want = shard.Batches.SelectMany(b => context.Execute(b.Inputs.Values.Single().Data, b.Size)).ToArray();
            var got = ReadNpz(Path.Combine(run.Output, ShardList.Id(s, list[s]) + ".npz"));
            Assert.Equal([ClusterShards.PerShard, 10, 1, 1], got.Shape);
            Assert.Equal(want, (float[])got.Data);
        }

        // Eval: the cluster's files against the same job run by one process.
        var eval = Spec(JobKind.Eval, list, shards.Path("cluster-eval")) with { Table = tablePath };
        await RunOk(cluster, eval);
        using var engines = new SiloEngines();
        var local = await LocalJob.RunAsync(eval with { Output = shards.Path("local-eval") }, engines, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(JobState.Completed, local.State);
        foreach (var file in Directory.GetFiles(eval.Output, "*.json").Where(f => !f.EndsWith("job.json", StringComparison.Ordinal)))
        {
            Assert.Equal(File.ReadAllText(file), File.ReadAllText(Path.Combine(shards.Path("local-eval"), Path.GetFileName(file))));
        }

        Assert.Contains("\"fp32_top1\"", File.ReadAllText(Path.Combine(eval.Output, "eval.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KilledSiloLosesNothing()
    {
        using var shards = new ClusterShards();
        var list = ShardList.Resolve(shards.Data);
        await using var cluster = await ClusterSilos.StartAsync(3);
        string? victimName = null;
        var victimBusy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ShardExecutor.BeforeShard = (silo, task, stop) =>
        {
            // Shards slow enough to be caught in flight: each waits 150 ms, the victim's until its silo is stopped.
            if (silo == Volatile.Read(ref victimName))
            {
                victimBusy.TrySetResult();
                stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
                stop.ThrowIfCancellationRequested();
            }

            stop.WaitHandle.WaitOne(150);
        };
        try
        {
            var spec = Spec(JobKind.Run, list, shards.Path("cluster-run"));
            var job = JobClient.RunAsync(cluster.Client, spec, cancellationToken: TestContext.Current.CancellationToken);
            var grain = cluster.Client.GetGrain<IJobGrain>(spec.Id);
            var host = "";
            while (host.Length == 0)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
                var s = await grain.Status();
                host = s.State == JobState.Running ? s.Host : "";
            }

            // The victim: a silo working on shards but not holding the job grain (nor the test cluster's membership).
            var victim = cluster.SecondarySilos.First(s => s.Name != host);
            Volatile.Write(ref victimName, victim.Name);
            await victimBusy.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            Assert.False(job.IsCompleted);
            var killed = System.Diagnostics.Stopwatch.StartNew();
            await cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);
            var status = await job.WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);

            Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Message}");
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(30), $"the job took {killed.Elapsed.TotalSeconds:F1} s after the kill");
            Assert.Empty(status.Failures);
            Assert.True(status.Retries >= 1, "the victim's shard was not retried");
            var files = Directory.GetFiles(spec.Output, "*.npz").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(list.Select((p, i) => ShardList.Id(i, p) + ".npz").ToArray(), files);
            foreach (var file in Directory.GetFiles(spec.Output, "*.npz"))
            {
                Assert.Equal(1, AtomicFile.Commits.GetValueOrDefault(Path.GetFullPath(file)));
            }

            Assert.Empty(Directory.GetFiles(spec.Output, AtomicFile.TempPrefix + "*"));
            Assert.Equal(ClusterShards.Count, status.Written + status.Skipped);
        }
        finally
        {
            ShardExecutor.BeforeShard = null;
        }
    }

    [Fact]
    public async Task BadShardFailsAloneWithItsNameAndRerunsSkipFinishedShards()
    {
        using var shards = new ClusterShards(corrupt: 7);
        var list = ShardList.Resolve(shards.Data);
        await using var cluster = await ClusterSilos.StartAsync(3);
        var spec = Spec(JobKind.Run, list, shards.Path("cluster-run"));

        var first = await JobClient.RunAsync(cluster.Client, spec, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(first.State == JobState.Completed, first.Message);
        var failure = Assert.Single(first.Failures);
        Assert.Contains("shard 0007-part-07", failure, StringComparison.Ordinal);
        Assert.Contains("Exception:", failure, StringComparison.Ordinal);
        Assert.Equal(ClusterShards.Count - 1, first.Written);
        Assert.Equal(ClusterShards.Count - 1, Directory.GetFiles(spec.Output, "*.npz").Length);

        var again = await JobClient.RunAsync(cluster.Client, spec, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, again.Written);
        Assert.Equal(ClusterShards.Count - 1, again.Skipped);
        Assert.Single(again.Failures);
    }

    private static JobSpec Spec(JobKind kind, IReadOnlyList<string> shards, string output) => new()
    {
        Id = $"{kind}-{Guid.NewGuid():N}",
        Kind = kind,
        Model = OnnxFixtures.FashionCnn,
        Shards = shards,
        Output = output,
        BatchSize = ClusterShards.Batch,
        NormalizeMean = ClusterShards.Mean,
        NormalizeStd = ClusterShards.Std,
    };

    private static async Task<JobStatus> RunOk(TestCluster cluster, JobSpec spec)
    {
        var status = await JobClient.RunAsync(cluster.Client, spec, cancellationToken: TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(status.State == JobState.Completed && status.Failures.Count == 0, $"{spec.Kind}: {status.State}: {status.Message} {string.Join("; ", status.Failures)}");
        return status;
    }

    /// <summary>The single-machine calibration: the builder's calibrator (two passes, its policy) over every shard's batches in order.</summary>
    private static CalibrationTable OneMachineTable(IReadOnlyList<string> list)
    {
        var model = OnnxNetworkLoader.Load(OnnxFixtures.FashionCnn);
        var input = model.Network.Inputs[0].Name;
        var batches = list.SelectMany(p => ShardInput.Load(p, input, ClusterShards.Batch, ClusterShards.Mean, ClusterShards.Std).Batches)
            .Select((b, i) => new CalibrationBatch(i, b.Size, b.Inputs)).ToList();
        using var runner = EngineBuilder.CreateCalibrationRunner(model.Network, ClusterShards.Batch);
        var ranges = new CalibratorRanges(new Calibrator(runner.Device, new EntropyCalibrator()) { ModelHash = model.ModelSha256 }, new InMemoryDataSource(batches));
        ranges.Calibrate(runner);
        return ranges.LastRun!.Table;
    }

    private static NpyArray ReadNpz(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entry = Assert.Single(zip.Entries);
        using var s = entry.Open();
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        copy.Position = 0;
        return NpyFile.Read(copy);
    }
}
