using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Where <c>--data</c> points for calibration: a folder of IDX files (the training images, else the test images), an
/// IDX images file, a folder of .npy files (NCHW float samples along the first dimension), or one .npy / .pb tensor.
/// IDX pixels are normalized (<see cref="Normalization"/>); .npy and .pb values are taken as they are.
/// </summary>
public static class CalibrationData
{
    /// <summary>True when <paramref name="path"/> holds IDX images (normalized by <see cref="Normalization"/>), not .npy/.pb tensors.</summary>
    public static bool IsImages(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Directory.Exists(path)
            ? (IdxFolder.Find(path, train: true) ?? IdxFolder.Find(path, train: false)) is not null
            : Path.GetExtension(path).ToLowerInvariant() is not (".npy" or ".pb");
    }

    /// <summary>The data source and a line saying what it holds.</summary>
    public static (ICalibrationDataSource Source, string Description) Open(string path, string inputName, int batchSize, int maxImages, Normalization normalization)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            var idx = IdxFolder.Find(path, train: true) ?? IdxFolder.Find(path, train: false);
            if (idx is not null)
            {
                var images = LabelledImages.Load(idx.Images, null, normalization, 0, maxImages);
                return (images.AsDataSource(inputName, Math.Min(batchSize, images.Count)), $"the first {images.Count} images of {idx.Images} ({normalization})");
            }

            var npy = new NpyFolderDataSource(path, batchSize, inputName, maxSamples: maxImages);
            return (npy, $"{npy.Samples} samples of the .npy files in {path}");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Calibration data '{path}' not found (give an IDX folder or file, a folder of .npy files, or a .npy/.pb tensor).", path);
        }

        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".npy" or ".pb")
        {
            var t = TensorFiles.Read(path);
            if (t.Shape.Length < 2)
            {
                throw new InvalidDataException($"'{path}' holds a tensor of shape [{string.Join(", ", t.Shape)}]; calibration data is [N, ...] with samples along the first dimension.");
            }

            var item = t.Shape[1..];
            var size = item.Aggregate(1, (a, b) => a * b);
            var n = Math.Min(t.Shape[0], maxImages);
            var batches = new List<CalibrationBatch>();
            for (var first = 0; first < n; first += batchSize)
            {
                var count = Math.Min(batchSize, n - first);
                var data = t.Data.AsSpan(first * size, count * size).ToArray();
                batches.Add(new CalibrationBatch(batches.Count, count, new Dictionary<string, HostTensor>(StringComparer.Ordinal) { [inputName] = new HostTensor(data, [count, .. item]) }));
            }

            return (new InMemoryDataSource(batches), $"{n} samples of {path}");
        }

        var file = LabelledImages.Load(path, null, normalization, 0, maxImages);
        return (file.AsDataSource(inputName, Math.Min(batchSize, file.Count)), $"the first {file.Count} images of {path} ({normalization})");
    }
}
