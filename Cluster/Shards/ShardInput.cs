using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Cluster.Shards;

/// <summary>
/// One shard in memory, cut into batches of one input: a folder of .npy files (<see cref="NpyFolderDataSource"/>: files in
/// name order, samples along the first dimension, values as they are), one .npy file [n, ...], or an IDX image file
/// ([n, h, w] or [n, c, h, w]; an unsigned-byte pixel p becomes x = (p / 255 − mean) / std). Labels, when there are any:
/// the IDX label file named like the images (<c>images</c> → <c>labels</c>, <c>idx3</c> → <c>idx1</c>), or
/// <c>NAME.labels.npy</c> beside a .npy shard NAME (integers stored as uint8, int8 or float32).
/// </summary>
public sealed class ShardInput
{
    private ShardInput(string path, IReadOnlyList<CalibrationBatch> batches, int[]? labels)
    {
        Path = path;
        Batches = batches;
        Labels = labels;
        Samples = batches.Sum(b => b.Size);
    }

    /// <summary>Where the shard came from.</summary>
    public string Path { get; }

    /// <summary>The batches, in order; the last may be smaller.</summary>
    public IReadOnlyList<CalibrationBatch> Batches { get; }

    /// <summary>One label per sample, or null.</summary>
    public int[]? Labels { get; }

    /// <summary>Samples in the shard.</summary>
    public int Samples { get; }

    /// <summary>True for a file name that looks like IDX images (<c>*images*</c> with an idx or ubyte suffix).</summary>
    public static bool IsIdxImages(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.ToLowerInvariant();
        return n.Contains("images", StringComparison.Ordinal) && (n.Contains("idx", StringComparison.Ordinal) || n.Contains("ubyte", StringComparison.Ordinal));
    }

    /// <summary>Reads the shard at <paramref name="path"/> as batches of <paramref name="inputName"/>.</summary>
    public static ShardInput Load(string path, string inputName, int batchSize, float mean = 0f, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ShardInput shard;
        if (Directory.Exists(path))
        {
            var source = new NpyFolderDataSource(path, batchSize, inputName);
            shard = new ShardInput(path, [.. source.Batches()], NpyLabels(System.IO.Path.TrimEndingDirectorySeparator(path) + ".labels.npy"));
        }
        else if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Shard '{path}' does not exist.", path);
        }
        else if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var array = NpyFile.Read(path);
            if (array.Shape.Count < 2)
            {
                throw new InvalidDataException($"'{path}' holds a ({string.Join(", ", array.Shape)}) array; a shard is [n, ...] with samples along the first dimension.");
            }

            shard = new ShardInput(path, Cut(array.ToFloat(), [.. array.Shape], inputName, batchSize), NpyLabels(path[..^4] + ".labels.npy"));
        }
        else
        {
            shard = LoadIdx(path, inputName, batchSize, mean, std);
        }

        if (shard.Labels is { } labels && labels.Length != shard.Samples)
        {
            throw new InvalidDataException($"Shard '{path}' has {shard.Samples} samples but {labels.Length} labels.");
        }

        return shard.Samples > 0 ? shard : throw new InvalidDataException($"Shard '{path}' holds no samples.");
    }

    private static ShardInput LoadIdx(string path, string inputName, int batchSize, float mean, float std)
    {
        var images = IdxFile.Read(path);
        int[] item = images.Shape.Count switch
        {
            3 => [1, images.Shape[1], images.Shape[2]],
            4 => [images.Shape[1], images.Shape[2], images.Shape[3]],
            _ => throw new InvalidDataException($"'{path}' holds a [{string.Join(", ", images.Shape)}] array, not images [n, h, w] or [n, c, h, w]."),
        };
        var n = images.Shape[0];
        var divisor = images.Type == IdxType.UInt8 ? 255f : 1f;
        var pixels = images.ToFloat(divisor, 0, checked(n * item[0] * item[1] * item[2]));
        for (var i = 0; i < pixels.Length; i++)
        {
            // x = (p / 255 − mean) / std
            pixels[i] = (pixels[i] - mean) / std;
        }

        int[]? labels = null;
        var folder = System.IO.Path.GetDirectoryName(path) ?? ".";
        var labelName = System.IO.Path.GetFileName(path).Replace("images", "labels", StringComparison.OrdinalIgnoreCase).Replace("idx3", "idx1", StringComparison.OrdinalIgnoreCase);
        var labelPath = System.IO.Path.Combine(folder, labelName);
        if (File.Exists(labelPath) && labelPath != path)
        {
            var l = IdxFile.Read(labelPath);
            if (l.Shape.Count != 1)
            {
                throw new InvalidDataException($"'{labelPath}' holds [{string.Join(", ", l.Shape)}], not one label per image.");
            }

            labels = [.. Enumerable.Range(0, l.Shape[0]).Select(i => (int)l[i])];
        }

        return new ShardInput(path, Cut(pixels, [n, .. item], inputName, batchSize), labels);
    }

    private static CalibrationBatch[] Cut(float[] data, int[] shape, string inputName, int batchSize)
    {
        var n = shape[0];
        var item = shape[1..];
        var size = item.Aggregate(1, (a, d) => a * d);
        var batches = new List<CalibrationBatch>();
        for (var first = 0; first < n; first += batchSize)
        {
            var count = Math.Min(batchSize, n - first);
            var tensor = new HostTensor(data.AsSpan(first * size, count * size).ToArray(), [count, .. item]);
            batches.Add(new CalibrationBatch(batches.Count, count, new Dictionary<string, HostTensor>(StringComparer.Ordinal) { [inputName] = tensor }));
        }

        return [.. batches];
    }

    private static int[]? NpyLabels(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var array = NpyFile.Read(path);
        return array.Shape.Count == 1
            ? [.. array.ToFloat().Select(v => (int)v)]
            : throw new InvalidDataException($"'{path}' holds a ({string.Join(", ", array.Shape)}) array, not one label per sample.");
    }
}
