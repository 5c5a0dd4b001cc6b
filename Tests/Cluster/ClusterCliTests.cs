using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Cluster.Hosting;
using ILGPUInt8.Tests.Cli;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cluster;

/// <summary>
/// <c>ilgpu-int8 cluster calibrate|eval|run</c> against two silos started here with the hosting code of <c>cluster host</c>
/// (localhost clustering on free ports), compared with the single-machine commands over the same images: the same table
/// files byte for byte, the same top-1 and agreement. Also: no cluster is a one-line error within the timeout, and
/// <c>cluster host</c> as a process prints where it listens and exits 130 on Ctrl-C.
/// </summary>
public sealed class ClusterCliTests : IDisposable
{
    private const int Shards = 4, PerShard = 8, Batch = 4;
    private const string Normalize = "0.2860,0.3530";
    private readonly string _dir = Directory.CreateTempSubdirectory("ilgpu-int8-cluster-cli-").FullName;

    public ClusterCliTests()
    {
        // The same 32 shipped test images twice: as 4 IDX shards of 8 (cluster) and as one t10k IDX pair (one machine).
        var images = IdxFile.Read(System.IO.Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-images.idx.gz"));
        var labels = IdxFile.Read(System.IO.Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-labels.idx.gz"));
        const int pixels = 28 * 28;
        Directory.CreateDirectory(Path("shards"));
        Directory.CreateDirectory(Path("single"));
        for (var s = 0; s < Shards; s++)
        {
            IdxFile.Write(Path($"shards/part-{s}-images-idx3-ubyte"), new IdxArray(IdxType.UInt8, [PerShard, 28, 28], images.RawData.Slice(s * PerShard * pixels, PerShard * pixels).ToArray()));
            IdxFile.Write(Path($"shards/part-{s}-labels-idx1-ubyte"), new IdxArray(IdxType.UInt8, [PerShard], labels.RawData.Slice(s * PerShard, PerShard).ToArray()));
        }

        const int all = Shards * PerShard;
        IdxFile.Write(Path("single/t10k-images-idx3-ubyte"), new IdxArray(IdxType.UInt8, [all, 28, 28], images.RawData[..(all * pixels)].ToArray()));
        IdxFile.Write(Path("single/t10k-labels-idx1-ubyte"), new IdxArray(IdxType.UInt8, [all], labels.RawData[..all].ToArray()));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task ClusterCommandsGiveTheSingleMachineTableAndEval()
    {
        var ports = FreePorts(4);
        using var primary = await ClusterHosting.StartLocalSiloAsync(new SiloSettings { SiloPort = ports[0], GatewayPort = ports[1], ClusterId = "cli-test" }, TestContext.Current.CancellationToken);
        using var secondary = await ClusterHosting.StartLocalSiloAsync(new SiloSettings { SiloPort = ports[2], GatewayPort = ports[3], PrimarySiloPort = ports[0], ClusterId = "cli-test" }, TestContext.Current.CancellationToken);
        string[] cluster = ["--gateway", $"{ports[1]}", $"{ports[3]}", "--cluster-id", "cli-test"];
        var model = CliHarness.Model;
        try
        {
            // Calibration: the cluster's table files equal one machine's, byte for byte (thresholds, hashes, preprocessing, warnings).
            var calibrated = Json(["cluster", "calibrate", "--model", model, "--data", Path("shards"), "--out", Path("job-calibrate"), "--table", Path("cluster.json"), "--batch", $"{Batch}", "--normalize", Normalize, "--json", .. cluster]);
            Assert.Equal(Shards * PerShard * 2, calibrated.GetProperty("samples").GetInt64());
            Json(["calibrate", "--model", model, "--data", Path("single"), "--table", Path("single.json"), "--batch", $"{Batch}", "--images", $"{Shards * PerShard}", "--normalize", Normalize, "--json"]);
            Assert.Equal(File.ReadAllText(Path("single.json")), File.ReadAllText(Path("cluster.json")));
            Assert.Equal(File.ReadAllText(Path("single.cache")), File.ReadAllText(Path("cluster.cache")));
            Assert.Contains("\"preprocessing\"", File.ReadAllText(Path("cluster.json")), StringComparison.Ordinal);

            // The table as the single-machine command prints it (shared tabulation), with the cluster's summary.
            var text = CliHarness.RunOk(["cluster", "calibrate", "--model", model, "--data", Path("shards"), "--out", Path("job-calibrate"), "--table", Path("cluster2.json"), "--batch", $"{Batch}", "--normalize", Normalize, .. cluster]);
            Assert.Contains("entropy thresholds", text, StringComparison.Ordinal);
            Assert.Contains("already there", text, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllText(Path("single.json")), File.ReadAllText(Path("cluster2.json")));

            // Eval with that table: top-1 of both engines and their agreement equal one machine's.
            var eval = Json(["cluster", "eval", "--model", model, "--data", Path("shards"), "--out", Path("job-eval"), "--table", Path("cluster.json"), "--batch", $"{Batch}", "--normalize", Normalize, "--json", .. cluster]);
            var single = Json(["eval", "--model", model, "--data", Path("single"), "--table", Path("single.json"), "--batch", $"{Batch}", "--normalize", Normalize, "--json"]);
            foreach (var key in new[] { "images", "fp32_top1", "int8_top1", "agreement" })
            {
                Assert.Equal(single.GetProperty(key).GetRawText(), eval.GetProperty(key).GetRawText());
            }

            // A table measured on other preprocessing is refused before any silo sees it (as one machine's builder refuses it).
            var (code, _, error) = CliHarness.RunFull(["cluster", "eval", "--model", model, "--data", Path("shards"), "--out", Path("job-eval-2"), "--table", Path("cluster.json"), "--normalize", "0.5,0.5", .. cluster]);
            Assert.Equal(1, code);
            Assert.Contains("prepared as", error, StringComparison.Ordinal);

            // Run: one .npz per shard ([8, 10, 1, 1] logits), no temporary file; a rerun writes nothing new.
            var ran = Json(["cluster", "run", "--model", model, "--data", Path("shards"), "--out", Path("job-run"), "--precision", "int8", "--table", Path("cluster.json"), "--batch", $"{Batch}", "--normalize", Normalize, "--json", .. cluster]);
            Assert.Equal(Shards, ran.GetProperty("written").GetInt32());
            var outputs = ran.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Equal(Shards, outputs.Count);
            foreach (var file in outputs)
            {
                using var zip = ZipFile.OpenRead(file);
                using var entry = Assert.Single(zip.Entries).Open();
                using var copy = new MemoryStream();
                entry.CopyTo(copy);
                copy.Position = 0;
                Assert.Equal([PerShard, 10, 1, 1], NpyFile.Read(copy).Shape);
            }

            Assert.Empty(Directory.GetFiles(Path("job-run"), ".tmp-*"));
            var again = Json(["cluster", "run", "--model", model, "--data", Path("shards"), "--out", Path("job-run"), "--precision", "int8", "--table", Path("cluster.json"), "--batch", $"{Batch}", "--normalize", Normalize, "--json", .. cluster]);
            Assert.Equal((0, Shards), (again.GetProperty("written").GetInt32(), again.GetProperty("skipped").GetInt32()));
        }
        finally
        {
            await secondary.StopAsync(CancellationToken.None);
            await primary.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void NoClusterIsAOneLineErrorWithinTheTimeout()
    {
        var port = FreePorts(1)[0];
        var watch = Stopwatch.StartNew();
        // The QDQ model has its own ranges: the command gets as far as connecting without a table.
        var (code, output, error) = CliHarness.RunFull("cluster", "eval", "--model", OnnxFixtures.FashionCnnQdq, "--data", Path("shards"), "--out", Path("job"), "--normalize", Normalize,
            "--gateway", $"{port}", "--connect-timeout", "3");
        Assert.True(code == 1, $"exit {code}: {error}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed.TotalSeconds:F1} s");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"ilgpu-int8: error: no cluster 'ilgpu-int8' answered at localhost gateway port(s) {port}", line, StringComparison.Ordinal);
        Assert.Contains("cluster host", line, StringComparison.Ordinal);
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>cluster host</c> as a process: it prints where it listens, and Ctrl-C (SIGINT) stops it cleanly with exit 130.</summary>
    [Fact]
    public async Task HostListensAndExits130OnCtrlC()
    {
        var ports = FreePorts(2);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { System.IO.Path.Combine(AppContext.BaseDirectory, "ilgpu-int8.dll"), "cluster", "host", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--device", "cpu" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var cancel = TestContext.Current.CancellationToken;
        var errTask = process.StandardError.ReadToEndAsync(cancel);
        var lines = new List<string>();
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancel).AsTask().WaitAsync(TimeSpan.FromSeconds(60), cancel) is { } line)
            {
                lines.Add(line);
                if (line.Contains("listening", StringComparison.Ordinal))
                {
                    break;
                }
            }

            Assert.Contains(lines, l => l.Contains($"127.0.0.1:{ports[0]}", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{ports[1]}", StringComparison.Ordinal));
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(cancel);
            }

            await process.WaitForExitAsync(cancel).WaitAsync(TimeSpan.FromSeconds(30), cancel);
            var error = await errTask;
            Assert.Equal(130, process.ExitCode);
            Assert.Equal("ilgpu-int8: interrupted", error.Trim());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    private static JsonElement Json(string[] args)
    {
        var (code, output, error) = CliHarness.RunFull(args);
        Assert.True(code == 0, $"ilgpu-int8 {string.Join(' ', args)} exited {code}:\n{error}\n{output}");
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    /// <summary>Ports free now (bound to port 0 and released; all distinct).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
