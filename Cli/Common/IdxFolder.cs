namespace ILGPUInt8.Cli.Common;

/// <summary>An image file and its label file (null when there is none).</summary>
/// <param name="Images">IDX images.</param>
/// <param name="Labels">IDX labels, or null.</param>
public sealed record IdxPair(string Images, string? Labels);

/// <summary>
/// Finds MNIST-style IDX files in a folder: <c>train-images-idx3-ubyte[.gz]</c> / <c>t10k-…</c> and their
/// <c>…-labels-idx1-…</c> twins (or <c>.npy</c> files named the same way). A file whose name contains "train" is training
/// data; any other images file is test data. A folder of .npy images with a <c>*labels*.npy</c> is test data.
/// </summary>
public static class IdxFolder
{
    /// <summary>The training or test images of <paramref name="path"/> (a folder, or an images file itself); null when absent.</summary>
    public static IdxPair? Find(string path, bool train)
    {
        if (File.Exists(path))
        {
            return new IdxPair(path, LabelsFor(path));
        }

        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"Data folder '{path}' not found.");
        }

        var images = Directory.GetFiles(path)
            .Where(f => Path.GetFileName(f).Contains("images", StringComparison.OrdinalIgnoreCase))
            .Where(f => Path.GetFileName(f).Contains("train", StringComparison.OrdinalIgnoreCase) == train)
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
        if (images is not null)
        {
            return new IdxPair(images, LabelsFor(images));
        }

        // A folder of .npy images with a labels .npy: all of it is test data (no training split to calibrate on).
        return !train && NpyImages.LabelsIn(path) is { } labels && NpyImages.ImagesIn(path).Length > 0 ? new IdxPair(path, labels) : null;
    }

    /// <summary>Like <see cref="Find"/>, but a missing split is an error saying what was looked for.</summary>
    public static IdxPair Require(string path, bool train) =>
        Find(path, train) ?? throw new FileNotFoundException(
            $"No {(train ? "training" : "test")} images in '{path}': expected a file named like {(train ? "train-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte.gz")}.");

    private static string? LabelsFor(string images)
    {
        var folder = Path.GetDirectoryName(images) ?? ".";
        var name = Path.GetFileName(images).Replace("images", "labels", StringComparison.OrdinalIgnoreCase)
            .Replace("idx3", "idx1", StringComparison.OrdinalIgnoreCase);
        var labels = Path.Combine(folder, name);
        return File.Exists(labels) && labels != images ? labels : null;
    }
}
