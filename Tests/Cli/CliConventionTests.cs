using System.CommandLine;
using System.Text.Json;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Cli.Common;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>
/// POSIX conventions of <c>ilgpu-int8</c>: --help anywhere lists every option a command reads, --version, and every kind of
/// error on stderr with exit 1 (failure) or 2 (usage) and a JSON object on stdout under --json. No engine is built.
/// </summary>
public sealed class CliConventionTests
{
    /// <summary>Every command by its full name ("eval", "cluster eval"), grouped ones included.</summary>
    public static TheoryData<string> CommandNames() => [.. CliCommands.All().Select(c => c.FullName)];

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void HelpAnywhereListsEveryOptionWithItsDefault(string name)
    {
        var command = CliCommands.All().Single(c => c.FullName == name);
        var words = name.Split(' ');
        string[][] positions =
        [
            [.. words, "--help"],
            [.. words, "-h"],
            ["--help", .. words],
            [.. words, "--model", "x.onnx", "--help"],
            [.. words, "--batch", "not-a-number", "--json", "-h"],
            ["help", .. words],
        ];
        if (words.Length > 1)
        {
            // Inside a group: help between the words, too.
            positions = [.. positions, [words[0], "--help", .. words[1..]], [words[0], "-h", .. words[1..]]];
        }
        foreach (var args in positions)
        {
            var (code, output, error) = CliHarness.RunFull(args);
            Assert.True(code == 0, $"{string.Join(' ', args)} exited {code}: {error}");
            Assert.Empty(error);
            foreach (var option in command.Options)
            {
                Assert.Contains(option.Name, output, StringComparison.Ordinal);
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{name} {option.Name} has no description");
                if (option.HasDefaultValue && option.ValueType != typeof(bool))
                {
                    Assert.Contains($"{option.Name} ", output, StringComparison.Ordinal);
                }
            }

            if (command.Options.Any(o => o.HasDefaultValue && o.ValueType != typeof(bool)))
            {
                Assert.Contains("[default: ", output, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>
    /// The parser's option set of each command equals the set the command reads: it runs with its required options set
    /// to a missing file and <c>--device cuda:7</c> (refused after every option is read; commands read options first).
    /// </summary>
    [Theory]
    [MemberData(nameof(CommandNames))]
    public void EveryDeclaredOptionIsReadAndNoOtherOne(string name)
    {
        using var h = new CliHarness();
        var command = CliCommands.All().Single(c => c.FullName == name);
        var args = new List<string>(name.Split(' '));
        foreach (var option in command.Options.Where(o => o.Required))
        {
            args.AddRange([option.Name, h.Path("missing-" + option.Name.TrimStart('-'))]);
        }

        if (command.Options.Any(o => o.Name == "--device"))
        {
            args.AddRange(["--device", "cuda:7"]);
        }

        var read = new HashSet<string>(StringComparer.Ordinal);
        var (code, _, error) = CliHarness.RunTracked([.. args], read);
        Assert.True(code is 0 or 1 or 2, $"exit {code}: {error}");
        Assert.Equal(command.Options.Select(o => o.Name).Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void VersionPrintsTheInformationalVersionWithTheCommit()
    {
        var (code, output, error) = CliHarness.RunFull("--version");
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains(CliVersion.Informational, output, StringComparison.Ordinal);
        Assert.Matches(@"^ilgpu-int8 \d+\.\d+", output);
        Assert.Contains("ILGPU", output, StringComparison.Ordinal);
    }

    public static TheoryData<string[], int, string> ErrorCases() => new()
    {
        { ["bench", "--modle", "m.onnx"], 2, "did you mean --model" },
        { ["frobnicate"], 2, "Unrecognized command or argument 'frobnicate'" },
        { ["bench", "--model", "m.onnx", "--batch", "3000000"], 2, "--batch must be an integer in [1, 65536]" },
        { ["bench", "--model", "m.onnx", "--batch", "-5"], 2, "--batch must be an integer" },
        { ["bench", "--model", "m.onnx", "--batch", "99999999999999999999"], 2, "--batch" },
        { ["eval", "--model", "m.onnx", "--data", "d", "--batch", "x"], 2, "--batch" },
        { ["calibrate", "--model", "m.onnx", "--data", "d"], 2, "Option '--table' is required" },
        { ["calibrate", "--model", "m.onnx", "--data", "d", "--table", "t", "--method", "magic"], 2, "magic" },
        { ["calibrate", "--model", "m.onnx", "--data", "d", "--table", "t", "--percentile", "NaN"], 2, "--percentile" },
        { ["run", "--model", "m.onnx", "--input", "x.npy", "--device", "tpu"], 2, "--device must be" },
        { ["run", "--model", "synthetic:nothing", "--input", "x.npy"], 2, "Unknown synthetic model" },
        { ["run", "--model", "missing.onnx", "--input", "x.npy"], 1, "not found" },
        { ["eval", "--model", OnnxFixturesModel, "--data", "no-such-folder"], 1, "not found" },
        { ["cluster"], 2, "ilgpu-int8 cluster --help" },
        { ["cluster", "hots"], 2, "did you mean host" },
        { ["cluster", "host", "--silo-port", "80"], 2, "--silo-port must be an integer in [1024, 65535]" },
        { ["cluster", "host", "--silo-port", "20000", "--gateway-port", "20000"], 2, "must differ" },
        { ["cluster", "eval", "--model", "m.onnx", "--data", "d", "--out", "o", "--gateway", "70000"], 2, "--gateway takes ports in [1024, 65535]" },
        { ["cluster", "run", "--model", "m.onnx", "--data", "d"], 2, "Option '--out' is required" },
        { ["cluster", "calibrate", "--model", "m.onnx", "--data", "d", "--out", "o", "--table", "t", "--connect-timeout", "0"], 2, "--connect-timeout" },
        { ["cluster", "run", "--model", "missing.onnx", "--data", "d", "--out", "o"], 1, "not found" },
    };

    private static string OnnxFixturesModel => CliHarness.Model;

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void ErrorsGoToStderrWithExitCodeAndJson(string[] args, int expected, string message)
    {
        var (code, output, error) = CliHarness.RunFull(args);
        Assert.Equal(expected, code);
        Assert.StartsWith("ilgpu-int8: error: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);

        (code, output, error) = CliHarness.RunFull([.. args, "--json"]);
        Assert.Equal(expected, code);
        Assert.Contains(message, error, StringComparison.OrdinalIgnoreCase);
        using var json = JsonDocument.Parse(output);
        var e = json.RootElement.GetProperty("error");
        Assert.Equal(expected, e.GetProperty("exit_code").GetInt32());
        Assert.Contains(message, e.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every exception type that can reach the top gets its exit code, kind and a sentence saying what to do.</summary>
    [Fact]
    public void EveryExceptionTypeIsDescribed()
    {
        (Exception Exception, int Code, string Kind, string Advice)[] cases =
        [
            (new CliUsageException("--x is wrong."), 2, "usage", "--x"),
            (new OverflowException("Arithmetic operation resulted in an overflow."), 1, "overflow", "smaller --batch"),
            (new AggregateException(new OutOfMemoryException()), 1, "memory", "smaller --batch"),
            (new CudaException("CUDA_ERROR_OUT_OF_MEMORY"), 1, "device", "--device cpu"),
            (new ILGPU.InternalCompilerException("bad IR"), 1, "device", "--device cpu"),
            (new FileNotFoundException("Model file 'm.onnx' not found."), 1, "io", "Check the path"),
            (new UnauthorizedAccessException("Access to '/x' is denied."), 1, "io", "permission denied"),
            (new IOException("No space left on device"), 1, "io", "free disk space"),
            (new InvalidDataException("Corrupt engine file."), 1, "input", "Corrupt"),
            (new System.Reflection.TargetInvocationException(new NullReferenceException("oops")), 1, "internal", "bug"),
        ];
        foreach (var (exception, code, kind, advice) in cases)
        {
            var e = CliErrors.Describe(exception);
            Assert.Equal(code, e.ExitCode);
            Assert.Equal(kind, e.Kind);
            Assert.Contains(advice, e.Message, StringComparison.Ordinal);
            var stderr = new StringWriter();
            var stdout = new StringWriter();
            Assert.Equal(code, CliErrors.Report(e, exception, stderr, stdout, json: true));
            Assert.StartsWith("ilgpu-int8: error: ", stderr.ToString(), StringComparison.Ordinal);
            using var json = JsonDocument.Parse(stdout.ToString());
            Assert.Equal(kind, json.RootElement.GetProperty("error").GetProperty("kind").GetString());
        }
    }

    [Fact]
    public void SuggestionsNameTheClosestOption()
    {
        var command = new Command("x") { new Option<int>("--batch"), new Option<string>("--model") };
        Assert.Contains("--model", Suggestions.For(["--modle"], command), StringComparison.Ordinal);
        Assert.Contains("--batch", Suggestions.For(["--bach=3"], command), StringComparison.Ordinal);
        Assert.Empty(Suggestions.For(["--zzzzzzzzzz"], command));
        Assert.Equal(3, Suggestions.Distance("kitten", "sitting"));
    }

    [Fact]
    public void InfoFitsEightyColumnsAndPrintsJson()
    {
        var writer = new StringWriter();
        var code = ILGPUInt8.Cli.Program.Run(["info"], CliHarness.Console(writer, width: 80), new StringWriter());
        Assert.Equal(0, code);
        foreach (var line in writer.ToString().Split('\n'))
        {
            Assert.True(line.TrimEnd('\r').Length <= 80, $"longer than 80 columns: {line}");
        }

        Assert.DoesNotContain("8589934592", writer.ToString(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(CliHarness.RunOk("info", "--json"));
        Assert.True(json.RootElement.GetProperty("devices").GetArrayLength() >= 1);
        Assert.Equal(CliVersion.Informational, json.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public void CompletionSuggestsOptionsAndValuesAndPrintsAScript()
    {
        var options = CliHarness.RunOk("[suggest:9]", "bench --p");
        Assert.Contains("--precision", options, StringComparison.Ordinal);
        Assert.Contains("--profile", options, StringComparison.Ordinal);
        var values = CliHarness.RunOk("[suggest:18]", "bench --precision ");
        Assert.Equal(["best", "both", "fp16", "fp32", "int8"], values.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var script = CliHarness.RunOk("completion", "--shell", "zsh");
        Assert.Contains("bashcompinit", script, StringComparison.Ordinal);
        Assert.Contains("complete -o default -F _ilgpu_int8_complete ilgpu-int8", script, StringComparison.Ordinal);
    }

    /// <summary>The built tool as a process: real stdout, stderr and exit codes.</summary>
    [Fact]
    public async Task AsAProcessErrorsGoToStderrWithExitCodes()
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "ilgpu-int8.dll");
        Assert.True(File.Exists(tool), tool);
        (string[] Args, int Code, string Stderr)[] cases =
        [
            (["--version"], 0, string.Empty),
            (["bench", "--model", "m.onnx", "--batch", "3000000"], 2, "--batch must be an integer in [1, 65536]"),
            (["run", "--model", "missing.onnx", "--input", "x.npy", "--json"], 1, "not found"),
        ];
        foreach (var (args, code, stderr) in cases)
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(tool);
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var cancel = TestContext.Current.CancellationToken;
            var outTask = process.StandardOutput.ReadToEndAsync(cancel);
            var errTask = process.StandardError.ReadToEndAsync(cancel);
            await process.WaitForExitAsync(cancel);
            var outText = await outTask;
            var errText = await errTask;
            Assert.Equal(code, process.ExitCode);
            Assert.Contains(stderr, errText, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errText, StringComparison.Ordinal);
            if (args.Contains("--json"))
            {
                using var json = JsonDocument.Parse(outText);
                Assert.Equal(code, json.RootElement.GetProperty("error").GetProperty("exit_code").GetInt32());
            }
        }
    }
}
