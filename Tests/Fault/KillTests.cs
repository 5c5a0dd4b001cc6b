using System.Diagnostics;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Tests.Writer;
using Xunit;

namespace ILGPUInt8.Tests.Fault;

/// <summary>
/// The kill test: a child process (<c>ilgpu-int8-writer</c>) rewrites a table pair, a .npy tensor and a report in a loop
/// and is killed at a random moment, 200 times. After every kill each file must be the old or the new version, whole;
/// the table's JSON must read as a whole table and its cache must either be that JSON's cache or be refused as a
/// mismatched pair (a kill between the two renames), never read as a silent mix.
/// </summary>
public sealed class KillTests : IDisposable
{
    private const int Kills = 200;
    private readonly string _dir = Directory.CreateTempSubdirectory("ilgpu-int8-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Files_killed_while_being_written_are_always_old_or_new()
    {
        var tables = new[] { KillTestFiles.TableVersion(0), KillTestFiles.TableVersion(1) };
        var caches = tables.Select(t => t.ToCache().ToText()).ToArray();
        var npys = new[] { 0, 1 }.Select(v =>
        {
            using var s = new MemoryStream();
            NpyFile.Write(s, KillTestFiles.NpyVersion(v));
            return s.ToArray();
        }).ToArray();
        var reports = new[] { KillTestFiles.ReportVersion(0), KillTestFiles.ReportVersion(1) };
        var random = new Random(23);
        var watch = Stopwatch.StartNew();
        int mismatchedPairs = 0, newVersions = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            using (var child = StartWriter())
            {
                Assert.Equal("ready", child.StandardOutput.ReadLine());
                Thread.Sleep(random.Next(40));
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
            }

            var what = $"kill {kill}";
            var npy = File.ReadAllBytes(KillTestFiles.Npy(_dir));
            Assert.True(npy.AsSpan().SequenceEqual(npys[0]) || npy.AsSpan().SequenceEqual(npys[1]), $"{what}: tensor.npy is neither version ({npy.Length} bytes)");
            var report = File.ReadAllText(KillTestFiles.Report(_dir));
            Assert.True(report == reports[0] || report == reports[1], $"{what}: report.txt is neither version ({report.Length} chars)");
            var cache = File.ReadAllText(KillTestFiles.Table(_dir));
            Assert.True(cache == caches[0] || cache == caches[1], $"{what}: the cache is neither version ({cache.Length} chars)");
            newVersions += cache == caches[1] ? 1 : 0;
            var json = CalibrationJson.Read(KillTestFiles.Table(_dir) + ".json");
            Assert.True(json.ModelHash is "model-0" or "model-1", $"{what}: the JSON is neither version");
            try
            {
                var pair = CalibrationTablePair.Read(KillTestFiles.Table(_dir));
                Assert.Equal(json.ModelHash, pair.ModelHash);
                Assert.Equal(cache, pair.ToCache().ToText());
            }
            catch (InvalidDataException ex) when (ex.Message.Contains("not one table", StringComparison.Ordinal))
            {
                mismatchedPairs++;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromMinutes(8), $"{kill} kills took {watch.Elapsed.TotalSeconds:F0} s");
        }

        TestContext.Current.SendDiagnosticMessage($"{Kills} kills in {watch.Elapsed.TotalSeconds:F1} s: cache of version 1 {newVersions} times, a refused cache/JSON mix {mismatchedPairs} times.");
        Assert.True(newVersions > 0, "the child was never killed after its first rewrite: the kills did not land inside the write loop");
    }

    private Process StartWriter()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "ilgpu-int8-writer" + (OperatingSystem.IsWindows() ? ".exe" : string.Empty));
        var info = File.Exists(exe)
            ? new ProcessStartInfo(exe) { ArgumentList = { _dir } }
            : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "ilgpu-int8-writer.dll"), _dir } };
        info.RedirectStandardOutput = true;
        info.UseShellExecute = false;
        return Process.Start(info) ?? throw new InvalidOperationException("The writer did not start.");
    }
}
