using System.Globalization;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Cli;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// Every float ONNX node test of the mapped operators (Debian libonnx-testdata) through <c>ilgpu-int8 run</c> exactly as
/// ONNX Runtime runs it: every graph input given on the command line from the test's own input_*.pb files (the CLI binds
/// the ones the importer needs as constants), every output written as .pb and compared with the test's output_*.pb
/// within |y − e| ≤ 1e-5 + 1e-3·|e|. A node test counts when every node's operator is mapped
/// (<see cref="OnnxImporter.SupportedOperators"/>), its graph outputs and first input are FLOAT and it is not an
/// <c>_expanded</c> variant. The count passing must stay at or above <see cref="PassFloor"/>; skips without the data.
/// </summary>
public class OnnxNodeCliTests(ITestOutputHelper output)
{
    /// <summary>Node tests that must pass through the CLI (of <see cref="Candidates"/>' count, measured on ONNX 1.12's data).</summary>
    public const int PassFloor = 201;

    /// <summary>The float node tests of the mapped operators, by folder name.</summary>
    public static IReadOnlyList<string> Candidates()
    {
        if (!Directory.Exists(OnnxFixtures.NodeTestsDir))
        {
            return [];
        }

        var names = new List<string>();
        foreach (var dir in Directory.GetDirectories(OnnxFixtures.NodeTestsDir).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            if (name.EndsWith("_expanded", StringComparison.Ordinal) || !File.Exists(Path.Combine(dir, "model.onnx")))
            {
                continue;
            }

            OnnxModel model;
            try
            {
                model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
            }
            catch (OnnxImportException)
            {
                continue; // a model the reader refuses (sequences, optionals) has no mapped operator
            }

            var g = model.Graph;
            if (g.Nodes.Count > 0 && g.Nodes.All(n => OnnxImporter.SupportedOperators.Contains(n.OpType))
                && g.Inputs.Count > 0 && g.Inputs[0].ElementType == OnnxDataType.Float
                && g.Outputs.All(o => o.ElementType == OnnxDataType.Float))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>Runs one node test through the CLI (--device cpu); null when every output of every data set matches.</summary>
    public static string? RunThroughCli(string directory)
    {
        var model = OnnxModel.Load(Path.Combine(directory, "model.onnx"));
        var sets = Directory.GetDirectories(directory, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
        if (sets.Count == 0)
        {
            return "no test_data_set_* folder";
        }

        var temp = Directory.CreateTempSubdirectory("ilgpu-int8-node-").FullName;
        try
        {
            foreach (var set in sets)
            {
                var args = new List<string> { "run", "--model", Path.Combine(directory, "model.onnx"), "--device", "cpu" };
                for (int i = 0; i < model.Graph.Inputs.Count; i++)
                {
                    args.Add("--input");
                    args.Add($"{model.Graph.Inputs[i].Name}={Path.Combine(set, $"input_{i}.pb")}");
                }

                for (int o = 0; o < model.Graph.Outputs.Count; o++)
                {
                    args.Add("--output");
                    args.Add($"{model.Graph.Outputs[o].Name}={Path.Combine(temp, $"output_{o}.pb")}");
                }

                var (code, stdout, stderr) = CliHarness.RunFull([.. args]);
                if (code != 0)
                {
                    return $"{Path.GetFileName(set)}: exit {code}: {ErrorLine(stderr.Length > 0 ? stderr : stdout)}";
                }

                for (int o = 0; o < model.Graph.Outputs.Count; o++)
                {
                    var expected = OnnxModel.ParseTensor(File.ReadAllBytes(Path.Combine(set, $"output_{o}.pb")));
                    var actual = OnnxModel.ParseTensor(File.ReadAllBytes(Path.Combine(temp, $"output_{o}.pb")));
                    if (!actual.Dims.SequenceEqual(expected.Dims))
                    {
                        return $"{Path.GetFileName(set)} output {o}: shape [{string.Join(", ", actual.Dims)}], expected [{string.Join(", ", expected.Dims)}]";
                    }

                    float[] e = expected.ToFloatArray(), a = actual.ToFloatArray();
                    for (int k = 0; k < e.Length; k++)
                    {
                        double diff = Math.Abs((double)a[k] - e[k]);
                        if (!(diff <= OnnxNodeTestRunner.AbsoluteTolerance + (OnnxNodeTestRunner.RelativeTolerance * Math.Abs(e[k]))) && !(float.IsNaN(e[k]) && float.IsNaN(a[k])))
                        {
                            return $"{Path.GetFileName(set)} output {o}: element {k} is {a[k].ToString(CultureInfo.InvariantCulture)}, expected {e[k].ToString(CultureInfo.InvariantCulture)}";
                        }
                    }
                }
            }

            return null;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [Fact]
    public void FloatNodeTests_PassThroughTheCli()
    {
        Assert.SkipUnless(Directory.Exists(OnnxFixtures.NodeTestsDir),
            $"{OnnxFixtures.NodeTestsDir} is absent: install Debian's libonnx-testdata (apt-get install -y libonnx-testdata).");
        var candidates = Candidates();
        var failures = new List<string>();
        foreach (var name in candidates)
        {
            string? failure;
            try
            {
                failure = RunThroughCli(Path.Combine(OnnxFixtures.NodeTestsDir, name));
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or OnnxImportException)
            {
                failure = ex.GetType().Name + ": " + FirstLine(ex.Message);
            }

            if (failure is not null)
            {
                failures.Add($"{name}: {failure}");
            }
        }

        int passed = candidates.Count - failures.Count;
        output.WriteLine($"{passed} of {candidates.Count} float node tests of the mapped operators pass through 'ilgpu-int8 run'.");
        foreach (var f in failures)
        {
            output.WriteLine("  fails: " + f);
        }

        Assert.True(passed >= PassFloor, $"{passed} of {candidates.Count} pass (floor {PassFloor}):\n{string.Join('\n', failures)}");
    }

    /// <summary>The CLI says on stderr which inputs it bound as constants (a Conv's weights given as a graph input).</summary>
    [Fact]
    public void Run_SaysWhichInputsItBindsAsConstants()
    {
        string dir = Path.Combine(OnnxFixtures.NodeTestsDir, "test_basic_conv_with_padding");
        Assert.SkipUnless(Directory.Exists(dir), $"{dir} is absent: install Debian's libonnx-testdata.");
        string set = Path.Combine(dir, "test_data_set_0");
        var (code, _, stderr) = CliHarness.RunFull("run", "--model", Path.Combine(dir, "model.onnx"), "--device", "cpu",
            "--input", Path.Combine(set, "input_0.pb"), "--input", Path.Combine(set, "input_1.pb"));
        Assert.Equal(0, code);
        Assert.Contains("input 'W'", stderr, StringComparison.Ordinal);
        Assert.Contains("bound as a constant", stderr, StringComparison.Ordinal);
        Assert.Contains("Conv", stderr, StringComparison.Ordinal);
        Assert.Null(RunThroughCli(dir));
    }

    private static string ErrorLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.Contains("error", StringComparison.Ordinal))
        ?? FirstLine(text);

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
}
