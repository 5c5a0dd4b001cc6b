using System.Diagnostics.CodeAnalysis;

namespace ILGPUInt8.Calibration.Data;

/// <summary>
/// Calibration inputs, batch by batch, in the spirit of TensorRT's <c>IInt8Calibrator</c> (getBatchSize, getBatch)
/// and ONNX Runtime's <c>CalibrationDataReader</c> (get_next, rewind). The calibrator reads the data twice (range pass,
/// histogram pass), rewinding in between, so a source must give the same batches after <see cref="Rewind"/>.
/// </summary>
public interface ICalibrationDataSource
{
    /// <summary>Names of the inputs every batch carries.</summary>
    IReadOnlyList<string> InputNames { get; }

    /// <summary>Samples per batch (the last batch may hold fewer).</summary>
    int BatchSize { get; }

    /// <summary>Batches in a full pass, when known.</summary>
    int? BatchCount { get; }

    /// <summary>The next batch, or false at the end of the data.</summary>
    bool TryGetNext([NotNullWhen(true)] out CalibrationBatch? batch);

    /// <summary>Starts again from the first batch.</summary>
    void Rewind();
}

/// <summary>Conveniences over <see cref="ICalibrationDataSource"/>.</summary>
public static class CalibrationDataSourceExtensions
{
    /// <summary>Rewinds, then yields every batch of one pass.</summary>
    public static IEnumerable<CalibrationBatch> Batches(this ICalibrationDataSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.Rewind();
        while (source.TryGetNext(out var batch))
        {
            yield return batch;
        }
    }
}
