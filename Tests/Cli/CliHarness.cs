using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Cli;
using ILGPUInt8.Tests.Onnx;
using Spectre.Console;

namespace ILGPUInt8.Tests.Cli;

/// <summary>Runs <c>ilgpu-int8</c> in process on a recording console; a temp folder with a small IDX data set.</summary>
public sealed class CliHarness : IDisposable
{
    /// <summary>Images per split in the fixture folder (tiny: the ILGPU CPU accelerator simulates every GPU thread).</summary>
    public const int Images = 8;

    public CliHarness()
    {
        Dir = Directory.CreateTempSubdirectory("ilgpu-int8-cli-").FullName;
        Data = System.IO.Path.Combine(Dir, "data");
        Directory.CreateDirectory(Data);
        var images = IdxFile.Read(System.IO.Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-images.idx.gz"));
        var labels = IdxFile.Read(System.IO.Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-labels.idx.gz"));
        // "train" = shipped images 100.., "t10k" = shipped images 0..: disjoint.
        WriteSplit("train", images, labels, 100);
        WriteSplit("t10k", images, labels, 0);
    }

    /// <summary>The temp folder (deleted on dispose).</summary>
    public string Dir { get; }

    /// <summary>An IDX folder: train-images/labels and t10k-images/labels, <see cref="Images"/> each.</summary>
    public string Data { get; }

    /// <summary>The FP32 fixture model.</summary>
    public static string Model => OnnxFixtures.FashionCnn;

    /// <summary>A path inside the temp folder.</summary>
    public string Path(string name) => System.IO.Path.Combine(Dir, name);

    /// <summary>Runs the tool; returns the exit code and everything it printed (stdout, then stderr).</summary>
    public static (int Code, string Output) Run(params string[] args)
    {
        var (code, output, error) = RunFull(args);
        return (code, output + error);
    }

    /// <summary>Runs the tool; returns the exit code, stdout and stderr apart.</summary>
    public static (int Code, string Out, string Err) RunFull(params string[] args) => RunTracked(args, []);

    /// <summary>Runs the tool recording the names of the options the command read.</summary>
    public static (int Code, string Out, string Err) RunTracked(string[] args, HashSet<string> read)
    {
        var writer = new StringWriter();
        var error = new StringWriter();
        var code = Program.RunTracked(args, Console(writer), error, read);
        return (code, writer.ToString(), error.ToString());
    }

    /// <summary>A recording console: no colours, no animation, 240 columns.</summary>
    public static IAnsiConsole Console(TextWriter writer, int width = 240)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        return console;
    }

    /// <summary>Runs and asserts exit code 0, printing the output on failure.</summary>
    public static string RunOk(params string[] args)
    {
        var (code, output) = Run(args);
        Xunit.Assert.True(code == 0, $"ilgpu-int8 {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void WriteSplit(string split, IdxArray images, IdxArray labels, int first)
    {
        const int pixels = 28 * 28;
        var imageBytes = images.RawData.Slice(first * pixels, Images * pixels).ToArray();
        var labelBytes = labels.RawData.Slice(first, Images).ToArray();
        IdxFile.Write(System.IO.Path.Combine(Data, $"{split}-images-idx3-ubyte"), new IdxArray(IdxType.UInt8, [Images, 28, 28], imageBytes));
        IdxFile.Write(System.IO.Path.Combine(Data, $"{split}-labels-idx1-ubyte"), new IdxArray(IdxType.UInt8, [Images], labelBytes));
    }
}
