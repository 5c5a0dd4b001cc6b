using System.Diagnostics.CodeAnalysis;

namespace ILGPUInt8.Calibration.Data;

/// <summary>
/// Calibration data from a folder of .npy files. Each file holds one or more samples along its first dimension
/// (a [1, 3, 224, 224] dump is one sample); files are taken in ordinal name order and their samples re-batched
/// into batches of <see cref="BatchSize"/> (the last may be smaller). A folder of .npy files is one input
/// (named by the caller); a folder of sub-folders holding .npy files is one input per sub-folder, named after it,
/// all with the same number of samples. Elements (float32, uint8 or int8) are converted to float and multiplied by
/// a scale (e.g. 1/255). Headers are checked up front, data is read one file at a time.
/// </summary>
public sealed class NpyFolderDataSource : ICalibrationDataSource
{
    private readonly InputFiles[] _inputs;
    private readonly int _samples;
    private int _nextSample;
    private int _nextBatch;

    /// <summary>Opens <paramref name="folder"/>; throws naming the file when headers disagree.</summary>
    public NpyFolderDataSource(string folder, int batchSize, string inputName = "input", float scale = 1f, int? maxSamples = null)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Calibration folder '{folder}' does not exist.");
        }

        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        }

        var topFiles = NpyFiles(folder);
        if (topFiles.Length > 0)
        {
            _inputs = [new InputFiles(inputName, topFiles, scale)];
        }
        else
        {
            var dirs = Directory.GetDirectories(folder).Where(d => NpyFiles(d).Length > 0).Order(StringComparer.Ordinal).ToArray();
            if (dirs.Length == 0)
            {
                throw new InvalidDataException($"Calibration folder '{folder}' holds no .npy files (nor sub-folders with any).");
            }

            _inputs = [.. dirs.Select(d => new InputFiles(Path.GetFileName(d), NpyFiles(d), scale))];
        }

        _samples = _inputs[0].Samples;
        foreach (var input in _inputs)
        {
            if (input.Samples != _samples)
            {
                throw new InvalidDataException($"Input '{input.Name}' has {input.Samples} samples but '{_inputs[0].Name}' has {_samples}.");
            }
        }

        if (maxSamples is { } max)
        {
            _samples = Math.Min(_samples, Math.Max(0, max));
        }

        BatchSize = batchSize;
        InputNames = [.. _inputs.Select(i => i.Name)];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> InputNames { get; }

    /// <inheritdoc />
    public int BatchSize { get; }

    /// <inheritdoc />
    public int? BatchCount => (_samples + BatchSize - 1) / BatchSize;

    /// <summary>Samples served in one pass.</summary>
    public int Samples => _samples;

    /// <inheritdoc />
    public bool TryGetNext([NotNullWhen(true)] out CalibrationBatch? batch)
    {
        batch = null;
        if (_nextSample >= _samples)
        {
            return false;
        }

        int size = Math.Min(BatchSize, _samples - _nextSample);
        var inputs = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (var input in _inputs)
        {
            inputs[input.Name] = input.Take(size);
        }

        batch = new CalibrationBatch(_nextBatch++, size, inputs);
        _nextSample += size;
        return true;
    }

    /// <inheritdoc />
    public void Rewind()
    {
        _nextSample = 0;
        _nextBatch = 0;
        foreach (var input in _inputs)
        {
            input.Rewind();
        }
    }

    private static string[] NpyFiles(string folder) =>
        [.. Directory.GetFiles(folder, "*.npy").Order(StringComparer.Ordinal)];

    /// <summary>One input's files, read sequentially.</summary>
    private sealed class InputFiles
    {
        private readonly string[] _files;
        private readonly int[] _fileSamples;
        private readonly float _scale;
        private int _file;
        private int _offset;
        private float[]? _data;

        public InputFiles(string name, string[] files, float scale)
        {
            Name = name;
            _files = files;
            _scale = scale;
            _fileSamples = new int[files.Length];
            int[]? sampleShape = null;
            for (var f = 0; f < files.Length; f++)
            {
                var (_, shape) = NpyFile.ReadHeader(files[f]);
                if (shape.Length == 0)
                {
                    throw new InvalidDataException($"{files[f]}: a scalar array holds no samples (the first dimension is the sample).");
                }

                sampleShape ??= shape[1..];
                if (!sampleShape.AsSpan().SequenceEqual(shape.AsSpan(1)))
                {
                    throw new InvalidDataException($"{files[f]}: samples of shape ({string.Join(", ", shape[1..])}) differ from ({string.Join(", ", sampleShape)}) in {files[0]}.");
                }

                _fileSamples[f] = shape[0];
                Samples += shape[0];
            }

            SampleShape = sampleShape!;
            SampleSize = SampleShape.Aggregate(1, (a, d) => a * d);
        }

        public string Name { get; }

        public int Samples { get; }

        public int[] SampleShape { get; }

        public int SampleSize { get; }

        public HostTensor Take(int count)
        {
            var data = new float[count * SampleSize];
            for (var k = 0; k < count; k++)
            {
                while (_data is null || _offset >= _fileSamples[_file])
                {
                    if (_data is not null)
                    {
                        _file++;
                        _offset = 0;
                    }

                    _data = NpyFile.Read(_files[_file]).ToFloat(_scale);
                }

                Array.Copy(_data, _offset * SampleSize, data, k * SampleSize, SampleSize);
                _offset++;
            }

            return new HostTensor(data, [count, .. SampleShape]);
        }

        public void Rewind()
        {
            _file = 0;
            _offset = 0;
            _data = null;
        }
    }
}
