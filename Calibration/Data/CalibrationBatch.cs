namespace ILGPUInt8.Calibration.Data;

/// <summary>
/// One calibration batch: named float inputs (the first dimension of each is the batch) and, when the source has
/// them, one label a sample.
/// </summary>
public sealed class CalibrationBatch
{
    /// <summary>Creates a batch; every input must have the same first dimension, <paramref name="size"/>.</summary>
    public CalibrationBatch(int index, int size, IReadOnlyDictionary<string, HostTensor> inputs, IReadOnlyList<int>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (size <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A batch holds at least one sample.");
        }

        foreach (var (name, tensor) in inputs)
        {
            if (tensor.Shape.Count == 0 || tensor.Shape[0] != size)
            {
                throw new ArgumentException($"Input '{name}' has shape {tensor} but the batch holds {size} samples.", nameof(inputs));
            }
        }

        if (labels is not null && labels.Count != size)
        {
            throw new ArgumentException($"{labels.Count} labels for {size} samples.", nameof(labels));
        }

        Index = index;
        Size = size;
        Inputs = inputs;
        Labels = labels;
    }

    /// <summary>Position of the batch in its source (0-based).</summary>
    public int Index { get; }

    /// <summary>Samples in the batch (the last batch of a source may be smaller than the batch size).</summary>
    public int Size { get; }

    /// <summary>Inputs by name.</summary>
    public IReadOnlyDictionary<string, HostTensor> Inputs { get; }

    /// <summary>One label a sample, or null.</summary>
    public IReadOnlyList<int>? Labels { get; }
}
