using System.Text.Json;
using ILGPUInt8.Tests.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Runtime;

/// <summary>
/// samples/notebook/FashionInt8.ipynb is a valid .NET Interactive notebook (nbformat 4, C# kernel) whose code cells,
/// without their #i/#r package lines, are exactly samples/notebook/Program.cs: the sample CI builds and runs
/// (.ci/packages.sh), so the notebook's C# compiles and runs.
/// </summary>
public sealed class NotebookTests
{
    private static string Folder => Path.Combine(OnnxFixtures.RepositoryRoot, "samples", "notebook");

    [Fact]
    public void Notebook_parses_and_its_code_cells_are_the_built_sample()
    {
        using var notebook = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "FashionInt8.ipynb")));
        var root = notebook.RootElement;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        Assert.Equal(".net-csharp", root.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString());

        var code = new List<string>();
        var packages = new List<string>();
        var displayOnly = new List<string>();
        foreach (var cell in root.GetProperty("cells").EnumerateArray())
        {
            var source = string.Concat(cell.GetProperty("source").EnumerateArray().Select(l => l.GetString()));
            if (cell.GetProperty("cell_type").GetString() != "code")
            {
                continue;
            }

            var lines = source.Split('\n');
            packages.AddRange(lines.Where(IsPackageLine));
            var rest = string.Join('\n', lines.Where(l => !IsPackageLine(l))).Trim('\n');
            if (rest.StartsWith("// notebook only", StringComparison.Ordinal))
            {
                displayOnly.Add(rest);
            }
            else if (rest.Length > 0)
            {
                code.Add(rest);
            }
        }

        Assert.Contains(packages, p => p.StartsWith("#r \"nuget: ILGPUInt8.Layers", StringComparison.Ordinal));
        Assert.True(code.Count >= 4, $"{code.Count} code cells");
        // Cells only a notebook can run (display) show what the shared code made; they compute nothing of their own.
        Assert.NotEmpty(displayOnly);
        Assert.All(displayOnly, c => Assert.Contains("display(", c, StringComparison.Ordinal));
        var program = File.ReadAllText(Path.Combine(Folder, "Program.cs")).ReplaceLineEndings("\n");
        var body = string.Join("\n\n", code) + "\n";
        Assert.True(program.EndsWith(body, StringComparison.Ordinal), "samples/notebook/Program.cs is not the notebook's code cells: regenerate one from the other.");
        Assert.True(program[..^body.Length].Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.StartsWith("//", StringComparison.Ordinal)), "Program.cs has more than a comment before the cells' code.");

        var packagesScript = File.ReadAllText(Path.Combine(OnnxFixtures.RepositoryRoot, ".ci", "packages.sh"));
        Assert.Contains(" notebook; do", packagesScript, StringComparison.Ordinal);
        Assert.Contains("notebook/Notebook.csproj", File.ReadAllText(Path.Combine(OnnxFixtures.RepositoryRoot, "samples", "Samples.sln")).Replace('\\', '/'), StringComparison.Ordinal);
    }

    private static bool IsPackageLine(string line) => line.StartsWith("#r ", StringComparison.Ordinal) || line.StartsWith("#i ", StringComparison.Ordinal);
}
