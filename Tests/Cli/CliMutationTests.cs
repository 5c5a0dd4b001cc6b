using System.CommandLine;
using System.Diagnostics;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// A seeded mutation run of the CLI: 500 argument vectors built from every command's real option set, with wrong types,
/// huge and negative numbers, missing and malformed files, unknown options and stray tokens. Each must end with exit 0,
/// 1 or 2 and no stack trace. Options that set the amount of work (images, batch, iterations, duration) are always given,
/// as a small valid value or a wrong one, so the runs that succeed stay tiny (8 images, the Fashion CNN).
/// </summary>
public sealed class CliMutationTests : IDisposable
{
    private const int Vectors = 500;

    private static readonly Dictionary<string, string[]> WorkOptions = new(StringComparer.Ordinal)
    {
        ["--images"] = ["2", "4"],
        ["--calibration-images"] = ["4"],
        ["--compare-images"] = ["2"],
        ["--batch"] = ["1", "2", "4"],
        ["--iterations"] = ["1", "2"],
        ["--warmup"] = ["0", "1"],
        ["--duration"] = ["0", "0.01"],
        // cluster host runs until Ctrl-C without it; clients wait this long for a cluster that is not there.
        ["--stop-after"] = ["0"],
        ["--connect-timeout"] = ["0.5"],
        // inq retrains: a few images, at most one epoch a step.
        ["--train-images"] = ["4", "8"],
        ["--test-images"] = ["4"],
        ["--epochs-per-step"] = ["0", "1"],
    };

    private static readonly string[] BadNumbers =
        ["0", "-1", "-2147483648", "2147483648", "3000000", "99999999999999999999", "1e3", "NaN", "Infinity", "abc", "", "0x10", "1,5", "--json"];

    private static readonly HashSet<string> OutputOptions = new(StringComparer.Ordinal)
    {
        "--out", "--plots", "--save-engine", "--export-times", "--export-profile", "--output", "--plot", "--csv",
    };

    private readonly CliHarness _h = new();
    private readonly string[] _paths;
    private readonly string[] _outputs;

    public CliMutationTests()
    {
        var (images, _) = OnnxFixtures.FashionTestImages(2);
        TensorFiles.Write(_h.Path("x.npy"), "input", new FileTensor(images, [2, 1, 28, 28]));
        File.WriteAllBytes(_h.Path("junk.onnx"), [0x08, 0xff, 0xff, 0xff, 0x0f]);
        File.WriteAllText(_h.Path("junk.npy"), "not numpy");
        File.WriteAllText(_h.Path("junk.cache"), "TRT-8600-EntropyCalibration2\nconv1: zz\n");
        File.WriteAllText(_h.Path("junk.plan"), "ILGPUI8E garbage");
        _paths =
        [
            CliHarness.Model, OnnxFixtures.FashionCnnQdq, "synthetic:small-cnn", "synthetic:nope", _h.Data, _h.Path("x.npy"),
            _h.Path("missing.onnx"), _h.Path("missing-dir"), _h.Path("junk.onnx"), _h.Path("junk.npy"), _h.Path("junk.cache"),
            _h.Path("junk.plan"), _h.Dir, "/proc/version", "/proc/nope/x.json", "", "-", "x=" + _h.Path("x.npy"), "input=" + _h.Path("x.npy"),
            _h.Path("out/b.cache"), _h.Path("out/t.json"), _h.Path("out/e.plan"),
        ];
        // Outputs never point at the fixtures (the shipped models): only into the temp folder, or somewhere unwritable.
        _outputs =
        [
            _h.Path("out/a.json"), _h.Path("out/b.cache"), _h.Path("out/e.plan"), _h.Path("out/y.npy"), _h.Path("out/y.pb"), _h.Path("out/t.json"),
            _h.Path("out"), _h.Dir, "/proc/version", "/proc/nope/x.json", "", "-", "probabilities=" + _h.Path("out/p.npy"),
        ];
    }

    public void Dispose() => _h.Dispose();

    [Fact]
    public void RandomArgumentVectorsEndWithExitCode012AndNoStackTrace()
    {
        var random = new Random(20261203);
        var commands = CliCommands.All();
        var codes = new int[3];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Vectors; i++)
        {
            var command = commands[random.Next(commands.Count)];
            var args = Mutate(command, random);
            var (code, output, error) = CliHarness.RunFull(args);
            var shown = string.Join(' ', args.Select(a => $"'{a}'"));
            Assert.True(code is 0 or 1 or 2, $"#{i} exit {code}: {shown}\n{error}");
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
            Assert.DoesNotContain("internal error", error, StringComparison.Ordinal);
            Assert.True(code == 0 || error.StartsWith("ilgpu-int8: error: ", StringComparison.Ordinal), $"#{i} exit {code} without a message: {shown}");
            codes[code]++;
        }

        // Every outcome occurs: the vectors reach the commands' work, not only the parser.
        Assert.True(codes.All(c => c > 0), $"exit codes 0/1/2: {string.Join('/', codes)} in {watch.Elapsed.TotalSeconds:F0} s");
    }

    private string[] Mutate(CliCommand command, Random random)
    {
        var args = new List<string>(command.FullName.Split(' '));
        var first = args.Count;
        foreach (var option in command.Options)
        {
            var isWork = WorkOptions.TryGetValue(option.Name, out var small);
            // Work options are always given (small or wrong); the others half of the time, required ones mostly.
            if (!isWork && random.NextDouble() > (option.Required ? 0.9 : 0.5))
            {
                continue;
            }

            if (option.ValueType == typeof(bool))
            {
                args.Add(random.Next(8) == 0 ? option.Name + "=maybe" : option.Name);
                continue;
            }

            var isOutput = OutputOptions.Contains(option.Name) || (command.Name == "calibrate" && option.Name == "--table");
            var value = isWork
                ? (random.Next(3) == 0 ? BadNumbers[random.Next(BadNumbers.Length)] : small![random.Next(small.Length)])
                : isOutput ? _outputs[random.Next(_outputs.Length)] : Value(option, random);
            args.Add(option.Name);
            args.Add(value);
        }

        // Stray tokens: unknown or misspelt options, a bare value, "--", a response file that is missing.
        string[] noise = ["--frobnicate", "--modle", "-x", "stray", "--", "@" + _h.Path("missing.rsp"), "--batch=", "---json", "-hx"];
        if (random.Next(6) == 0)
        {
            args.Insert(first + random.Next(args.Count - first + 1), noise[random.Next(noise.Length)]);
        }

        if (random.Next(5) == 0 && args.Count > first)
        {
            args.RemoveAt(first + random.Next(args.Count - first));
        }

        // Under --device the CPU stays in use (cuda is refused without a GPU, exit 2).
        return [.. args];
    }

    private string Value(Option option, Random random)
    {
        if (option.ValueType == typeof(int) || option.ValueType == typeof(int?) || option.ValueType == typeof(double) || option.ValueType == typeof(double?) || option.ValueType == typeof(int[]))
        {
            return random.Next(2) == 0 ? BadNumbers[random.Next(BadNumbers.Length)] : random.Next(1, 5).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return option.Name switch
        {
            "--precision" => Pick(random, "fp32", "int8", "both", "fp16", "INT8", ""),
            "--method" => Pick(random, "entropy", "minmax", "percentile", "mse", "kl", ""),
            "--device" => Pick(random, "auto", "cpu", "cuda", "cuda:1", "cuda:x", "tpu", ""),
            "--normalize" => Pick(random, "0.2860,0.3530", "0.5", "0.5,0", "a,b", "1,-1", "1e40,1", ""),
            _ => _paths[random.Next(_paths.Length)],
        };
    }

    private static string Pick(Random random, params string[] values) => values[random.Next(values.Length)];
}
