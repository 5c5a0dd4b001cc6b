using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Cli;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Fault;

/// <summary>
/// Mutation fuzzing of every file format the tool reads: 1 000 seeded mutations of a valid file each (TensorRT cache,
/// calibration JSON, .npy, ONNX TensorProto .pb, IDX, engine file). Each case must either read or fail with one of the
/// errors the CLI reports as exit 1 (never a crash: NullReference, IndexOutOfRange, Overflow, OutOfMemory, KeyNotFound…),
/// and within a few seconds (never a hang). A share of each format also goes through the CLI itself (exit 0, 1 or 2).
/// </summary>
public sealed class MutationFuzzTests : IDisposable
{
    private const int Cases = 1000;
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("ilgpu-int8-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The errors the CLI turns into a clear message and exit 1 (Program.Run's list) or exit 2.</summary>
    internal static bool IsCleanError(Exception ex) =>
        ex is IOException or InvalidDataException or OnnxImportException or NetworkException or CalibrationTableMismatchException
            or ArgumentException or InvalidOperationException or NotSupportedException or UnauthorizedAccessException or FormatException
            or CliUsageException;

    [Fact]
    public void Tensorrt_caches() => Fuzz("cache", 11, Encoding.UTF8.GetBytes(SampleTable().ToCache().ToText()), bytes =>
    {
        var path = Path.Combine(_dir, "t.cache");
        File.WriteAllBytes(path, bytes);
        CalibrationTablePair.Read(path);
    });

    [Fact]
    public void Calibration_json() => Fuzz("json", 12, Encoding.UTF8.GetBytes(CalibrationJson.Serialize(SampleTable())), bytes =>
        CalibrationJson.Deserialize(Encoding.UTF8.GetString(bytes)));

    [Fact]
    public void Npy_files()
    {
        using var stream = new MemoryStream();
        NpyFile.Write(stream, new NpyArray([.. Enumerable.Range(0, 2 * 3 * 4 * 4).Select(i => i * 0.25f)], 2, 3, 4, 4));
        Fuzz("npy", 13, stream.ToArray(), bytes => NpyFile.Read(new MemoryStream(bytes), "fuzz.npy").ToFloat());
    }

    [Fact]
    public void Tensorproto_pb_files()
    {
        var valid = TensorFiles.TensorProtoBytes("input", new FileTensor([.. Enumerable.Range(0, 2 * 3 * 4).Select(i => i * 0.5f)], [2, 3, 4]));
        Fuzz("pb", 14, valid, bytes =>
        {
            var path = Path.Combine(_dir, "t.pb");
            File.WriteAllBytes(path, bytes);
            TensorFiles.Read(path);
        });
    }

    [Fact]
    public void Idx_files()
    {
        using var stream = new MemoryStream();
        IdxFile.Write(stream, new IdxArray(IdxType.UInt8, [3, 5, 4], [.. Enumerable.Range(0, 60).Select(i => (byte)(i * 4))]));
        Fuzz("idx", 15, stream.ToArray(), bytes => IdxFile.Read(new MemoryStream(bytes), "fuzz.idx"));
    }

    [Fact]
    public void Engine_files()
    {
        var net = TestNetworks.SmallCnn();
        var config = new BuilderConfig { MaxBatchSize = 2, Int8 = true, CalibrationTable = TestNetworks.Thresholds(net, TestNetworks.Inputs(net, 2), 2) };
        byte[] valid;
        using (var engine = EngineBuilder.BuildCpu(net, config))
        using (var stream = new MemoryStream())
        {
            engine.Serialize(stream);
            valid = stream.ToArray();
        }

        // Half the cases keep a valid checksum over the mutated payload, so the payload reader itself is fuzzed.
        Fuzz("engine", 16, valid, bytes => Engine.DeserializeCpu(new MemoryStream(bytes)).Dispose(), (bytes, k) => k % 2 == 0 ? Resign(bytes) : bytes);
    }

    [Fact]
    public void The_cli_exits_0_1_or_2_on_mutated_inputs_and_tables()
    {
        var model = CliHarness.Model;
        var input = Path.Combine(_dir, "x.npy");
        var images = IdxFile.Read(Path.Combine(Onnx.OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-images.idx.gz"));
        var pixels = images.RawData[..(2 * 28 * 28)].ToArray().Select(b => ((b / 255f) - 0.286f) / 0.353f).ToArray();
        NpyFile.Write(input, new NpyArray(pixels, 2, 1, 28, 28));
        var table = Path.Combine(_dir, "t.json");
        CliHarness.RunOk("calibrate", "--model", model, "--data", input, "--method", "minmax", "--table", table, "--json");
        var validNpy = File.ReadAllBytes(input);
        var validCache = File.ReadAllBytes(Path.ChangeExtension(table, ".cache"));
        var codes = new Dictionary<int, int>();
        for (var k = 0; k < 40; k++)
        {
            var x = Path.Combine(_dir, $"m{k}.npy");
            File.WriteAllBytes(x, Mutator.Mutate(validNpy, 21, k));
            var cache = Path.Combine(_dir, $"m{k}.cache");
            File.WriteAllBytes(cache, Mutator.Mutate(validCache, 22, k));
            foreach (var args in new[]
            {
                new[] { "run", "--model", model, "--input", x, "--output", Path.Combine(_dir, $"y{k}.npy") },
                ["run", "--model", model, "--precision", "int8", "--table", cache, "--input", input],
            })
            {
                var (code, output) = CliHarness.Run(args);
                Assert.True(code is 0 or 1 or 2, $"ilgpu-int8 {string.Join(' ', args)} exited {code}:\n{output}");
                codes[code] = codes.GetValueOrDefault(code) + 1;
            }
        }

        Assert.True(codes.GetValueOrDefault(1) > 0, "some mutations must be rejected");
    }

    private static CalibrationTable SampleTable()
    {
        var net = TestNetworks.SmallCnn();
        var thresholds = TestNetworks.Thresholds(net, TestNetworks.Inputs(net, 2), 2);
        return new CalibrationTable("entropy", thresholds.Select(kv => new TensorCalibration(kv.Key, "entropy", kv.Value, kv.Value / 127f, kv.Value * 1.5, 2048, 3, 1000, 0)),
            "model-hash", "data-hash", new Preprocessing(1 / 255.0, [0.286], [0.353]))
        { Warnings = ["tensor 'relu1': saturates"] };
    }

    /// <summary>Rewrites the header's payload length and SHA-256 for the bytes after it (magic 8, version 4, length 8, hash 32).</summary>
    private static byte[] Resign(byte[] bytes)
    {
        if (bytes.Length < 52)
        {
            return bytes;
        }

        var copy = (byte[])bytes.Clone();
        BitConverter.GetBytes((long)(copy.Length - 52)).CopyTo(copy, 12);
        SHA256.HashData(copy.AsSpan(52)).CopyTo(copy, 20);
        return copy;
    }

    private static void Fuzz(string format, int seed, byte[] valid, Action<byte[]> read, Func<byte[], int, byte[]>? post = null)
    {
        read(valid);
        var failures = new List<string>();
        int accepted = 0, rejected = 0;
        var slowest = TimeSpan.Zero;
        var work = Task.Run(() =>
        {
            for (var k = 0; k < Cases; k++)
            {
                var bytes = Mutator.Mutate(valid, seed, k);
                bytes = post?.Invoke(bytes, k) ?? bytes;
                var watch = Stopwatch.StartNew();
                try
                {
                    read(bytes);
                    accepted++;
                }
                catch (Exception ex) when (IsCleanError(ex))
                {
                    rejected++;
                }
                catch (Exception ex)
                {
                    failures.Add($"case {k}: {ex.GetType().Name}: {ex.Message}");
                }

                slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            }
        }, TestContext.Current.CancellationToken);
        Assert.True(work.Wait(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken), $"{format}: the {Cases} cases did not finish in 2 minutes (a hang?)");
        Assert.True(failures.Count == 0, $"{format}: {failures.Count} of {Cases} mutations crashed the reader:\n{string.Join('\n', failures.Take(20))}");
        Assert.True(slowest < CaseLimit, $"{format}: one case took {slowest.TotalSeconds:F1} s");
        Assert.True(rejected > Cases / 10, $"{format}: only {rejected} of {Cases} mutations were rejected ({accepted} read)");
    }
}
