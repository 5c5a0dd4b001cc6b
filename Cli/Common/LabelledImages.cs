using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Images from IDX files as normalized NCHW floats, with their labels when there is a label file. The float value of
/// an unsigned-byte pixel p is <see cref="Normalization.Apply"/>(p / 255); other IDX element types are taken as they are.
/// </summary>
public sealed class LabelledImages
{
    private LabelledImages(string source, float[] pixels, int[]? labels, int count, int[] itemShape)
    {
        Source = source;
        Pixels = pixels;
        Labels = labels;
        Count = count;
        ItemShape = itemShape;
        ItemSize = itemShape[0] * itemShape[1] * itemShape[2];
    }

    /// <summary>Where the images came from (for messages).</summary>
    public string Source { get; }

    /// <summary>All images, NCHW, normalized.</summary>
    public float[] Pixels { get; }

    /// <summary>Labels, or null.</summary>
    public int[]? Labels { get; }

    /// <summary>Images held.</summary>
    public int Count { get; }

    /// <summary>(C, H, W) of one image.</summary>
    public int[] ItemShape { get; }

    /// <summary>Values of one image.</summary>
    public int ItemSize { get; }

    /// <summary>
    /// Reads images [first, first + count) of an IDX or .npy image file ([n, h, w] or [n, c, h, w]), or of a folder of
    /// .npy images, and the labels of a label file ([n], IDX or .npy), if given; count is clipped to what there is.
    /// </summary>
    public static LabelledImages Load(string imagesPath, string? labelsPath, Normalization normalization, int first = 0, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        var images = ReadIdx(imagesPath);
        int[] item = images.Shape.Count switch
        {
            3 => [1, images.Shape[1], images.Shape[2]],
            4 => [images.Shape[1], images.Shape[2], images.Shape[3]],
            _ => throw new InvalidDataException($"'{imagesPath}' holds a [{string.Join(", ", images.Shape)}] array, not images [n, h, w] or [n, c, h, w]."),
        };
        var total = images.Shape[0];
        if (first < 0 || first > total)
        {
            throw new ArgumentOutOfRangeException(nameof(first), first, $"'{imagesPath}' holds {total} images.");
        }

        var n = Math.Min(count ?? total, total - first);
        var size = item[0] * item[1] * item[2];
        var divisor = images.Type == IdxType.UInt8 ? 255f : 1f;
        var pixels = images.ToFloat(divisor, (long)first * size, checked(n * size));
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = normalization.Apply(pixels[i]);
        }

        int[]? labels = null;
        if (labelsPath is not null)
        {
            var l = ReadIdx(labelsPath);
            if (l.Shape.Count != 1 || l.Shape[0] != total)
            {
                throw new InvalidDataException($"'{labelsPath}' holds [{string.Join(", ", l.Shape)}] labels for {total} images in '{imagesPath}'.");
            }

            labels = [.. Enumerable.Range(first, n).Select(i => Label(l[i], i, labelsPath))];
        }

        return new LabelledImages(imagesPath, pixels, labels, n, item);
    }

    /// <summary>Images [first, first + count) as one NCHW batch.</summary>
    public float[] Batch(int first, int count) => Pixels.AsSpan(first * ItemSize, count * ItemSize).ToArray();

    /// <summary>The images as calibration batches of one input.</summary>
    public ICalibrationDataSource AsDataSource(string inputName, int batchSize)
    {
        var batches = new List<CalibrationBatch>();
        for (var first = 0; first < Count; first += batchSize)
        {
            var size = Math.Min(batchSize, Count - first);
            var tensor = new HostTensor(Batch(first, size), [size, .. ItemShape]);
            batches.Add(new CalibrationBatch(batches.Count, size, new Dictionary<string, HostTensor>(StringComparer.Ordinal) { [inputName] = tensor }));
        }

        return new InMemoryDataSource(batches);
    }

    /// <summary>A class number: a whole, non-negative value that fits an int (any integer or float element type).</summary>
    private static int Label(double value, int index, string path) =>
        value >= 0 && value <= int.MaxValue && value == Math.Floor(value)
            ? (int)value
            : throw new InvalidDataException($"'{path}': label {index} is {value}, not a class number (a whole number ≥ 0).");

    /// <summary>An IDX file, a .npy file or a folder of .npy images (<see cref="NpyImages"/>).</summary>
    private static IdxArray ReadIdx(string path)
    {
        if (Directory.Exists(path))
        {
            return NpyImages.Read(path);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{(NpyImages.IsNpy(path) ? "NumPy" : "IDX")} file '{path}' not found.", path);
        }

        return NpyImages.IsNpy(path) ? NpyImages.Read(path) : IdxFile.Read(path);
    }
}
