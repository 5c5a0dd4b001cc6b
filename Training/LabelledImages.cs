using ILGPUInt8.Layers.Data;

namespace ILGPUInt8.Training;

/// <summary>Fashion-MNIST style images (one byte a pixel, 28 × 28) with labels, normalized on demand.</summary>
/// <param name="Images">Count × 784 pixels.</param>
/// <param name="Labels">Count labels.</param>
/// <param name="Count">Number of images.</param>
public sealed record LabelledImages(byte[] Images, byte[] Labels, int Count)
{
    /// <summary>Pixels of one image.</summary>
    public const int Pixels = FashionMnist.Side * FashionMnist.Side;

    /// <summary>Reads the training or test split from an IDX folder (<c>train-…</c> / <c>t10k-…</c>, gzip or not).</summary>
    public static LabelledImages Load(string folder, bool train)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Data folder '{folder}' not found.");
        }

        string prefix = train ? "train" : "t10k";
        string? images = Find(folder, $"{prefix}-images-idx3-ubyte");
        string? labels = Find(folder, $"{prefix}-labels-idx1-ubyte");
        if (images is null || labels is null)
        {
            throw new FileNotFoundException($"'{folder}' has no {prefix}-images-idx3-ubyte[.gz] with its {prefix}-labels-idx1-ubyte[.gz].");
        }

        var (x, y, count) = FashionMnist.Load(images, labels);
        return new LabelledImages(x, y, count);
    }

    /// <summary>The shipped 3000 test images (Models/data) under <paramref name="repositoryRoot"/>.</summary>
    public static LabelledImages LoadShipped(string repositoryRoot)
    {
        var dir = Path.Combine(repositoryRoot, "Models", "data");
        var (x, y, count) = FashionMnist.Load(Path.Combine(dir, "fashion-t10k-3000-images.idx.gz"), Path.Combine(dir, "fashion-t10k-3000-labels.idx.gz"));
        return new LabelledImages(x, y, count);
    }

    /// <summary>Images [first, first + count).</summary>
    public LabelledImages Slice(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, Count);
        return new LabelledImages(Images[(first * Pixels)..((first + count) * Pixels)], Labels[first..(first + count)], count);
    }

    /// <summary>Normalized inputs (<see cref="FashionMnist.Normalize"/>) and labels of the images at <paramref name="order"/>[from..from+count).</summary>
    public (float[] X, byte[] Y) Batch(ReadOnlySpan<int> order, int from, int count)
    {
        var x = new float[count * Pixels];
        var y = new byte[count];
        for (var i = 0; i < count; i++)
        {
            int image = order[from + i];
            y[i] = Labels[image];
            for (var p = 0; p < Pixels; p++)
            {
                x[(i * Pixels) + p] = ((Images[(image * Pixels) + p] / 255f) - FashionMnist.Mean) / FashionMnist.Std;
            }
        }

        return (x, y);
    }

    private static string? Find(string folder, string stem) =>
        new[] { stem + ".gz", stem }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
}
