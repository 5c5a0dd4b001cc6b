using System.Diagnostics.CodeAnalysis;

namespace ILGPUInt8.Calibration.Data;

/// <summary>
/// Calibration data from MNIST-style IDX files (plain or .gz): an image file [n, h, w] (or [n, c, h, w]) of bytes,
/// served as float batches [B, 1, h, w] (resp. [B, c, h, w]) scaled to [0, 1] (float(byte) / 255, as torchvision does; other element types are
/// taken as they are), and optionally a label file [n] whose labels ride along with each batch.
/// </summary>
public sealed class IdxDataSource : ICalibrationDataSource
{
    private readonly float[] _images;
    private readonly int[] _sampleShape;
    private readonly int _sampleSize;
    private readonly int[]? _labels;
    private readonly int _samples;
    private int _next;

    /// <summary>Loads <paramref name="imagesPath"/> (and <paramref name="labelsPath"/>), keeping at most <paramref name="maxSamples"/>.</summary>
    public IdxDataSource(string imagesPath, string? labelsPath, int batchSize, string inputName = "input", int? maxSamples = null)
    {
        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        }

        var images = IdxFile.Read(imagesPath);
        _sampleShape = images.Shape.Count switch
        {
            3 => [1, images.Shape[1], images.Shape[2]],
            4 => [images.Shape[1], images.Shape[2], images.Shape[3]],
            _ => throw new InvalidDataException($"{imagesPath}: images need 3 ([n, h, w]) or 4 ([n, c, h, w]) dimensions, found {images.Shape.Count}."),
        };
        _sampleSize = _sampleShape[0] * _sampleShape[1] * _sampleShape[2];
        _samples = Math.Min(images.Shape[0], maxSamples ?? int.MaxValue);
        float divisor = images.Type == IdxType.UInt8 ? 255f : 1f;
        _images = images.ToFloat(divisor, 0, checked(_samples * _sampleSize));

        if (labelsPath is not null)
        {
            var labels = IdxFile.Read(labelsPath);
            if (labels.Shape.Count != 1 || labels.Shape[0] != images.Shape[0])
            {
                throw new InvalidDataException($"{labelsPath}: labels of shape ({string.Join(", ", labels.Shape)}) do not match {images.Shape[0]} images in {imagesPath}.");
            }

            _labels = [.. Enumerable.Range(0, _samples).Select(i => (int)labels[i])];
        }

        BatchSize = batchSize;
        InputName = inputName;
        InputNames = [inputName];
    }

    /// <summary>Name of the one input.</summary>
    public string InputName { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> InputNames { get; }

    /// <inheritdoc />
    public int BatchSize { get; }

    /// <inheritdoc />
    public int? BatchCount => (_samples + BatchSize - 1) / BatchSize;

    /// <summary>Samples served in one pass.</summary>
    public int Samples => _samples;

    /// <summary>Labels of all samples, or null without a label file.</summary>
    public IReadOnlyList<int>? Labels => _labels;

    /// <inheritdoc />
    public bool TryGetNext([NotNullWhen(true)] out CalibrationBatch? batch)
    {
        batch = null;
        int start = _next * BatchSize;
        if (start >= _samples)
        {
            return false;
        }

        int size = Math.Min(BatchSize, _samples - start);
        var data = _images.AsSpan(start * _sampleSize, size * _sampleSize).ToArray();
        var inputs = new Dictionary<string, HostTensor>(StringComparer.Ordinal) { [InputName] = new HostTensor(data, [size, .. _sampleShape]) };
        batch = new CalibrationBatch(_next++, size, inputs, _labels?.Skip(start).Take(size).ToArray());
        return true;
    }

    /// <inheritdoc />
    public void Rewind() => _next = 0;
}
