using ILGPUInt8.Cli.Commands;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>Options, tensor files and argument errors: no engine is built here.</summary>
public sealed class CliParsingTests
{
    [Fact]
    public void NormalizationParses()
    {
        Assert.Equal(new Normalization(0.286f, 0.353f), Normalization.Parse("0.286,0.353"));
        Assert.Equal(Normalization.Unit, Normalization.Parse(null));
        Assert.Throws<CliUsageException>(() => Normalization.Parse("0.5"));
        Assert.Throws<CliUsageException>(() => Normalization.Parse("0.5,0"));
    }

    [Fact]
    public void InputsBindByNameAndPosition()
    {
        var bound = RunCommand.Bind("--input", ["b=x.npy", "y.npy"], ["a", "b"], requireAll: true);
        Assert.Equal("y.npy", bound["a"]);
        Assert.Equal("x.npy", bound["b"]);
        Assert.Throws<CliUsageException>(() => RunCommand.Bind("--input", ["y.npy"], ["a", "b"], requireAll: true));
        Assert.Throws<CliUsageException>(() => RunCommand.Bind("--input", ["c=y.npy"], ["a"], requireAll: true));
        Assert.Throws<CliUsageException>(() => RunCommand.Bind("--input", ["x.npy", "y.npy"], ["a"], requireAll: true));
    }

    [Fact]
    public void TensorFilesRoundTripNpyAndPb()
    {
        var dir = Directory.CreateTempSubdirectory("ilgpu-int8-tensors-").FullName;
        try
        {
            var t = new FileTensor([1f, -2.5f, 3f, float.MaxValue, -0f, 6f], [2, 3]);
            foreach (var ext in new[] { ".npy", ".pb" })
            {
                var path = Path.Combine(dir, "t" + ext);
                TensorFiles.Write(path, "probabilities", t);
                var back = TensorFiles.Read(path);
                Assert.Equal(t.Shape, back.Shape);
                Assert.Equal(t.Data, back.Data);
            }

            var proto = OnnxModel.ParseTensor(File.ReadAllBytes(Path.Combine(dir, "t.pb")));
            Assert.Equal("probabilities", proto.Name);
            Assert.Equal([2L, 3L], proto.Dims);
            Assert.Throws<CliUsageException>(() => TensorFiles.Write(Path.Combine(dir, "t.txt"), "x", t));
            Assert.Throws<FileNotFoundException>(() => TensorFiles.Read(Path.Combine(dir, "missing.npy")));
            File.WriteAllText(Path.Combine(dir, "bad.npy"), "not numpy");
            Assert.ThrowsAny<Exception>(() => TensorFiles.Read(Path.Combine(dir, "bad.npy")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void HelpAndUnknownCommand()
    {
        var (code, output) = CliHarness.Run("--help");
        Assert.Equal(0, code);
        foreach (var command in new[] { "demo", "info", "calibrate", "run", "eval", "bench", "report" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }

        (code, output) = CliHarness.Run("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("Unrecognized command or argument 'frobnicate'", output, StringComparison.Ordinal);

        // Options without a command belong to the demo.
        (code, output) = CliHarness.Run("--frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("Unrecognized command or argument '--frobnicate'", output, StringComparison.Ordinal);
    }

    [Fact]
    public void InfoNamesTheDevice()
    {
        var output = CliHarness.RunOk("info");
        Assert.Contains("The library runs on", output, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingAndMalformedFilesAreClearErrors()
    {
        using var h = new CliHarness();
        var (code, output) = CliHarness.Run("run", "--model", h.Path("nope.onnx"), "--input", "x.npy");
        Assert.Equal(1, code);
        Assert.Contains("not found", output, StringComparison.Ordinal);

        var junk = h.Path("junk.onnx");
        File.WriteAllBytes(junk, [0xff, 0xff, 0xff, 0x01, 0x02]);
        (code, output) = CliHarness.Run("run", "--model", junk, "--input", "x.npy");
        Assert.Equal(1, code);
        Assert.Contains("Cannot import", output, StringComparison.Ordinal);

        (code, output) = CliHarness.Run("calibrate", "--model", CliHarness.Model, "--data", h.Path("no-such-folder"), "--table", h.Path("t.cache"));
        Assert.Equal(1, code);
        Assert.Contains("not found", output, StringComparison.Ordinal);

        (code, output) = CliHarness.Run("eval", "--model", CliHarness.Model, "--data", h.Data, "--normalize", "x");
        Assert.Equal(2, code);
        Assert.Contains("--normalize", output, StringComparison.Ordinal);

        var unsupported = h.Path("einsum.onnx");
        File.WriteAllBytes(unsupported, OnnxProtoBuilder.Model(13,
            [OnnxProtoBuilder.Node("Einsum", ["x", "x"], ["y"], OnnxProtoBuilder.String("equation", "ij,jk->ik"))],
            [OnnxProtoBuilder.Value("x", 2, 2)], [OnnxProtoBuilder.Value("y", 2, 2)]).Bytes());
        (code, output) = CliHarness.Run("bench", "--model", unsupported);
        Assert.Equal(1, code);
        Assert.Contains("Einsum", output, StringComparison.Ordinal);

        (code, output) = CliHarness.Run("calibrate", "--model", CliHarness.Model);
        Assert.Equal(2, code);
        Assert.Contains("Option '--data' is required", output, StringComparison.Ordinal);
    }
}
