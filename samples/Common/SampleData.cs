using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Samples;

/// <summary>The Fashion-MNIST model and images this repository ships (Models/), found from the sample's folder.</summary>
public static class SampleData
{
    /// <summary>Mean and standard deviation the shipped model was trained with: x' = (x − mean) / std, x in [0, 1].</summary>
    public const float Mean = 0.2860f, Std = 0.3530f;

    /// <summary>A file under the repository's Models/ folder.</summary>
    public static string ModelsFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Models", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Models/{name} not found above {AppContext.BaseDirectory}: run the sample from the repository.");
    }

    /// <summary>Images [start, start + count) of the 3000 shipped test images, normalized, NCHW [count, 1, 28, 28], and their labels.</summary>
    public static (float[] Images, int[] Labels) Images(int start, int count)
    {
        var images = IdxFile.Read(ModelsFile(Path.Combine("data", "fashion-t10k-3000-images.idx.gz")));
        var labels = IdxFile.Read(ModelsFile(Path.Combine("data", "fashion-t10k-3000-labels.idx.gz")));
        var pixels = images.ToFloat(255f, (long)start * 28 * 28, count * 28 * 28);
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (pixels[i] - Mean) / Std;
        }

        var classes = new int[count];
        for (var i = 0; i < count; i++)
        {
            classes[i] = (int)labels[start + i];
        }

        return (pixels, classes);
    }

    /// <summary>Share of rows of <paramref name="probabilities"/> (batch × 10) whose largest entry is the label.</summary>
    public static double Top1(float[] probabilities, int[] labels)
    {
        var correct = 0;
        for (var n = 0; n < labels.Length; n++)
        {
            var row = probabilities.AsSpan(n * 10, 10);
            var best = 0;
            for (var c = 1; c < 10; c++)
            {
                best = row[c] > row[best] ? c : best;
            }

            correct += best == labels[n] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }
}
