using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using ILGPUInt8.Cluster.Shards;
using ILGPUInt8.Cluster.Work;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cluster;

/// <summary>The cluster's pieces without a cluster: write-once files, shard lists, jobs refused before any work.</summary>
public sealed class ClusterFilesTests
{
    [Fact]
    public void CommitOnceWritesTheFirstAndKeepsIt()
    {
        using var shards = new ClusterShards();
        var path = shards.Path("out/result.bin");
        Assert.True(AtomicFile.CommitOnce(path, s => s.Write([1, 2, 3])));
        Assert.False(AtomicFile.CommitOnce(path, s => s.Write([9])));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(1, AtomicFile.Commits[Path.GetFullPath(path)]);
        Assert.Empty(Directory.GetFiles(shards.Path("out"), AtomicFile.TempPrefix + "*"));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.CommitOnce(shards.Path("out/failed.bin"), _ => throw new InvalidOperationException("writer failed")));
        Assert.Equal(["result.bin"], Directory.GetFiles(shards.Path("out")).Select(Path.GetFileName));
    }

    [Fact]
    public void ShardListTakesImagesAndNpyButNotLabels()
    {
        using var shards = new ClusterShards();
        var list = ShardList.Resolve(shards.Data);
        Assert.Equal(ClusterShards.Count, list.Count);
        Assert.DoesNotContain(list, p => p.Contains("labels", StringComparison.Ordinal));
        Assert.Equal("0003-part-03", ShardList.Id(3, list[3]));
        Assert.Equal("0002-part-02-images-idx3-ubyte", ShardList.Id(2, list[2]));
        var text = shards.Path("list.txt");
        File.WriteAllLines(text, ["# two shards", list[1], "shards/" + Path.GetFileName(list[4])]);
        Assert.Equal([list[1], list[4]], ShardList.Resolve(text));
        Assert.Throws<FileNotFoundException>(() => ShardList.Resolve(shards.Path("nothing-here")));
    }

    [Fact]
    public async Task JobsWithoutRangesOrModelFailBeforeAnyWork()
    {
        using var shards = new ClusterShards();
        using var engines = new SiloEngines();
        var spec = new JobSpec { Id = "eval", Kind = JobKind.Eval, Model = OnnxFixtures.FashionCnn, Shards = ShardList.Resolve(shards.Data), Output = shards.Path("eval") };
        var noTable = await LocalJob.RunAsync(spec, engines, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(JobState.Failed, noTable.State);
        Assert.Contains("INT8 needs activation ranges", noTable.Message, StringComparison.Ordinal);
        Assert.Equal(0, noTable.Written);

        var noModel = await LocalJob.RunAsync(spec with { Model = shards.Path("missing.onnx") }, engines, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(JobState.Failed, noModel.State);
        Assert.Contains("missing.onnx", noModel.Message, StringComparison.Ordinal);
    }
}
