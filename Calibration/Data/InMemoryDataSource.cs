using System.Diagnostics.CodeAnalysis;

namespace ILGPUInt8.Calibration.Data;

/// <summary>A data source over batches already in memory (tests, small data sets, held-out splits).</summary>
public sealed class InMemoryDataSource : ICalibrationDataSource
{
    private readonly IReadOnlyList<CalibrationBatch> _batches;
    private int _next;

    /// <summary>Serves <paramref name="batches"/> in order; all must carry the same input names.</summary>
    public InMemoryDataSource(IReadOnlyList<CalibrationBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        _batches = batches;
        InputNames = batches.Count > 0 ? [.. batches[0].Inputs.Keys] : [];
        foreach (var batch in batches)
        {
            if (batch.Inputs.Count != InputNames.Count || !InputNames.All(batch.Inputs.ContainsKey))
            {
                throw new ArgumentException($"Batch {batch.Index} has inputs [{string.Join(", ", batch.Inputs.Keys)}], expected [{string.Join(", ", InputNames)}].", nameof(batches));
            }
        }

        BatchSize = batches.Count > 0 ? batches.Max(b => b.Size) : 0;
    }

    /// <summary>One input of several batches: tensors[k] becomes batch k under <paramref name="inputName"/>.</summary>
    public static InMemoryDataSource FromTensors(string inputName, IEnumerable<HostTensor> tensors) =>
        new([.. tensors.Select((t, k) => new CalibrationBatch(k, t.Shape[0], new Dictionary<string, HostTensor> { [inputName] = t }))]);

    /// <inheritdoc />
    public IReadOnlyList<string> InputNames { get; }

    /// <inheritdoc />
    public int BatchSize { get; }

    /// <inheritdoc />
    public int? BatchCount => _batches.Count;

    /// <inheritdoc />
    public bool TryGetNext([NotNullWhen(true)] out CalibrationBatch? batch)
    {
        batch = _next < _batches.Count ? _batches[_next++] : null;
        return batch is not null;
    }

    /// <inheritdoc />
    public void Rewind() => _next = 0;
}
