using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Cli.Common;
using Xunit;

namespace ILGPUInt8.Tests.Cli;

/// <summary>Labels .npy files for eval and report: every integer and float element type gives the same class numbers.</summary>
public sealed class NpyLabelsTests : IDisposable
{
    private static readonly int[] Classes = [3, 0, 9, 1];
    private readonly string _dir = Directory.CreateTempSubdirectory("ilgpu-int8-labels-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Types() => ["uint8", "int8", "int32", "int64", "float32", "float64"];

    [Theory]
    [MemberData(nameof(Types))]
    public void Labels_of_every_type_read_as_class_numbers(string type)
    {
        var images = Write("images.npy", new NpyArray(new byte[Classes.Length * 4], Classes.Length, 2, 2));
        var labels = Write("labels.npy", type switch
        {
            "uint8" => new NpyArray([.. Classes.Select(c => (byte)c)], Classes.Length),
            "int8" => new NpyArray([.. Classes.Select(c => (sbyte)c)], Classes.Length),
            "int32" => new NpyArray([.. Classes], Classes.Length),
            "int64" => new NpyArray([.. Classes.Select(c => (long)c)], Classes.Length),
            "float32" => new NpyArray([.. Classes.Select(c => (float)c)], Classes.Length),
            _ => new NpyArray([.. Classes.Select(c => (double)c)], Classes.Length),
        });
        var read = LabelledImages.Load(images, labels, Normalization.Unit);
        Assert.Equal(Classes, read.Labels);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(1L << 40)]
    public void Labels_that_are_not_class_numbers_are_refused(long bad)
    {
        var images = Write("images.npy", new NpyArray(new byte[8], 2, 2, 2));
        var labels = Write("labels.npy", new NpyArray(new[] { 1L, bad }, 2));
        var ex = Assert.Throws<InvalidDataException>(() => LabelledImages.Load(images, labels, Normalization.Unit));
        Assert.Contains("label 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fractional_float_labels_are_refused()
    {
        var images = Write("images.npy", new NpyArray(new byte[8], 2, 2, 2));
        var labels = Write("labels.npy", new NpyArray(new[] { 1f, 2.5f }, 2));
        Assert.Throws<InvalidDataException>(() => LabelledImages.Load(images, labels, Normalization.Unit));
    }

    private string Write(string name, NpyArray array)
    {
        var path = Path.Combine(_dir, name);
        NpyFile.Write(path, array);
        return path;
    }
}
