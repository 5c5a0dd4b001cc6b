using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Calibration;

/// <summary>
/// Runs a calibration: pass 1 feeds every batch through the activation source and folds each tensor's finite |x|
/// range on the device; pass 2 feeds every batch again and counts each tensor's 2048-bin histogram over its now
/// fixed range; then the method turns each histogram into a threshold and scale. Two passes make the result
/// independent of batch order (max and integer sums commute). Progress is reported after every batch and tensor,
/// the token is checked before every batch and tensor.
/// </summary>
public sealed partial class Calibrator
{
    private readonly Int8Device _device;

    /// <summary>A calibrator on <paramref name="device"/> choosing thresholds with <paramref name="method"/>.</summary>
    public Calibrator(Int8Device device, ICalibrationMethod method)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(method);
        _device = device;
        Method = method;
    }

    /// <summary>The method thresholds are chosen with.</summary>
    public ICalibrationMethod Method { get; }

    /// <summary>Hash of the model, recorded in the table (null: none).</summary>
    public string? ModelHash { get; init; }

    /// <summary>How the calibration data was prepared, recorded in the table (null: unknown).</summary>
    public Preprocessing? Preprocessing { get; init; }

    /// <summary>A share of clipped values above which a tensor is reported as saturating (default 1 %).</summary>
    public double SaturationWarning { get; init; } = 0.01;

    /// <summary>The same calibrator (device, model hash, preprocessing, warning level) choosing thresholds with <paramref name="method"/>.</summary>
    public Calibrator WithMethod(ICalibrationMethod method) =>
        new(_device, method) { ModelHash = ModelHash, Preprocessing = Preprocessing, SaturationWarning = SaturationWarning };

    /// <summary>Both passes and the method: the table, the histograms and each tensor's result.</summary>
    public CalibrationRun Run(ICalibrationDataSource data, IActivationSource activations, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (histograms, dataHash) = CollectHistograms(data, activations, progress, cancellationToken);
        var inputs = data.InputNames.ToHashSet(StringComparer.Ordinal);
        return Tabulate(histograms, Method, inputs, new TableRecord(ModelHash, dataHash, Preprocessing), SaturationWarning, progress, cancellationToken);
    }

    /// <summary>
    /// The method over collected histograms: each tensor's result, its table entry and warnings, in histogram order. The
    /// table records <paramref name="record"/> (hashes, preprocessing). Used by
    /// <see cref="Run"/> and by whoever sums histograms collected elsewhere (a cluster's shards), so both give the same table.
    /// An input tensor without one finite non-zero value is an error.
    /// </summary>
    public static CalibrationRun Tabulate(IReadOnlyList<TensorHistogram> histograms, ICalibrationMethod method, IReadOnlySet<string> inputs, TableRecord record,
        double saturation = 0.01, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(histograms);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(record);
        var results = new Dictionary<string, CalibrationResult>(StringComparer.Ordinal);
        var entries = new List<TensorCalibration>();
        var warnings = new List<string>();
        foreach (var h in histograms)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var r = method.Compute(h);
            if (inputs.Contains(h.Name) && (r.Flags & (CalibrationFlags.Empty | CalibrationFlags.AllZero)) != 0)
            {
                // Ranges measured on data without one finite non-zero value describe nothing (every threshold would be
                // the placeholder): refuse, naming the tensor, instead of writing a table that gives random answers.
                throw new InvalidDataException(
                    $"The calibration data for input '{h.Name}' has no finite non-zero value ({h.Total} finite values, all zero; {h.NonFiniteCount} NaN/Inf): check the data and its preprocessing.");
            }

            results[h.Name] = r;
            entries.Add(Entry(h, r));
            if (Warning(h, r, saturation) is { } warning)
            {
                warnings.Add(warning);
            }

            progress?.Report(new CalibrationProgress(CalibrationPhase.Thresholds, entries.Count, histograms.Count, histograms.Count));
        }

        var table = new CalibrationTable(method.Name, entries, record.ModelHash, record.DataHash, record.Preprocessing) { Warnings = warnings };
        return new CalibrationRun(table, histograms, results);
    }

    /// <summary>
    /// What is worth a warning about one tensor, or null: no finite value, all zero, NaN/Inf seen, or more than
    /// <paramref name="saturation"/> of its values beyond the threshold.
    /// </summary>
    public static string? Warning(TensorHistogram histogram, CalibrationResult result, double saturation)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        ArgumentNullException.ThrowIfNull(result);
        var notes = new List<string>();
        if ((result.Flags & CalibrationFlags.Empty) != 0)
        {
            notes.Add("empty (no finite value): scale 1");
        }
        else if ((result.Flags & CalibrationFlags.AllZero) != 0)
        {
            notes.Add("all zero: scale 1");
        }

        if (histogram.NonFiniteCount > 0)
        {
            notes.Add($"{histogram.NonFiniteCount} NaN/Inf values");
        }

        if (result.ClippedShare > saturation)
        {
            notes.Add($"saturates: {result.ClippedShare * 100:G3} % of its values beyond T = {result.Threshold:G5}");
        }

        return notes.Count == 0 ? null : $"tensor '{histogram.Name}': {string.Join("; ", notes)}";
    }

    /// <summary>
    /// Passes 1 and 2 only: every observed tensor's histogram (in order of first appearance) and the data hash, so
    /// several methods can be compared on one collection.
    /// </summary>
    public (IReadOnlyList<TensorHistogram> Histograms, string DataHash) CollectHistograms(ICalibrationDataSource data, IActivationSource activations, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(activations);
        var collectors = new Dictionary<string, HistogramCollector>(StringComparer.Ordinal);
        var order = new List<HistogramCollector>();
        try
        {
            var batchHashes = new List<byte[]>();
            int batches = 0;
            foreach (var batch in data.Batches())
            {
                cancellationToken.ThrowIfCancellationRequested();
                batchHashes.Add(Hashing.BatchHash(batch));
                foreach (var (collector, view) in Observe(_device, batch, activations, collectors, order, allowNew: true, cancellationToken))
                {
                    collector.ObserveRange(view);
                    _device.Synchronize();
                }

                batches++;
                progress?.Report(new CalibrationProgress(CalibrationPhase.Range, batches, data.BatchCount, order.Count));
            }

            if (batches == 0)
            {
                throw new InvalidOperationException("The calibration data source gave no batches.");
            }

            foreach (var collector in order)
            {
                collector.FinishRange();
            }

            batches = 0;
            foreach (var batch in data.Batches())
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var (collector, view) in Observe(_device, batch, activations, collectors, order, allowNew: false, cancellationToken))
                {
                    collector.Count(view);
                    _device.Synchronize();
                }

                batches++;
                progress?.Report(new CalibrationProgress(CalibrationPhase.Histogram, batches, data.BatchCount, order.Count));
            }

            return ([.. order.Select(c => c.ToHistogram())], Hashing.DataHash(batchHashes));
        }
        finally
        {
            foreach (var collector in order)
            {
                collector.Dispose();
            }
        }
    }

    /// <summary>The table entry of one tensor.</summary>
    public static TensorCalibration Entry(TensorHistogram histogram, CalibrationResult result)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        ArgumentNullException.ThrowIfNull(result);
        return new TensorCalibration(histogram.Name, result.Method, result.Threshold, result.Scale, histogram.Amax,
            HistogramBinning.Bins, histogram.Batches, histogram.Total, histogram.NonFiniteCount, result.Flags);
    }

    private static IEnumerable<(HistogramCollector Collector, ILGPU.ArrayView<float> View)> Observe(Int8Device device,
        CalibrationBatch batch, IActivationSource activations, Dictionary<string, HistogramCollector> collectors,
        List<HistogramCollector> order, bool allowNew, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, view) in activations.Run(batch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!seen.Add(name))
            {
                throw new InvalidOperationException($"Tensor '{name}' was observed twice in batch {batch.Index}.");
            }

            if (!collectors.TryGetValue(name, out var collector))
            {
                if (!allowNew)
                {
                    throw new InvalidOperationException($"Tensor '{name}' appeared in the histogram pass (batch {batch.Index}) but not in the range pass: the activation source must give the same tensors both times.");
                }

                collector = new HistogramCollector(device, name);
                collectors[name] = collector;
                order.Add(collector);
            }

            yield return (collector, view);
        }
    }
}

/// <summary>What a table records besides its entries: the model's and the data's hashes and the data's preprocessing (each may be unknown).</summary>
/// <param name="ModelHash">SHA-256 of the model file, or null.</param>
/// <param name="DataHash">The data hash (<see cref="Hashing.DataHash"/>), or null.</param>
/// <param name="Preprocessing">How the data was prepared, or null.</param>
public sealed record TableRecord(string? ModelHash, string? DataHash, Preprocessing? Preprocessing);

/// <summary>A finished calibration: the table, the histograms it came from and each tensor's method result.</summary>
/// <param name="Table">Tensor name → threshold, scale and record.</param>
/// <param name="Histograms">Each tensor's histogram, in order of first appearance.</param>
/// <param name="Results">Each tensor's method result by name.</param>
public sealed record CalibrationRun(CalibrationTable Table, IReadOnlyList<TensorHistogram> Histograms, IReadOnlyDictionary<string, CalibrationResult> Results);
