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
public sealed class Calibrator
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

    /// <summary>The same calibrator (device, model hash) choosing thresholds with <paramref name="method"/>.</summary>
    public Calibrator WithMethod(ICalibrationMethod method) => new(_device, method) { ModelHash = ModelHash };

    /// <summary>Both passes and the method: the table, the histograms and each tensor's result.</summary>
    public CalibrationRun Run(ICalibrationDataSource data, IActivationSource activations, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (histograms, dataHash) = CollectHistograms(data, activations, progress, cancellationToken);
        var results = new Dictionary<string, CalibrationResult>(StringComparer.Ordinal);
        var entries = new List<TensorCalibration>();
        foreach (var h in histograms)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var r = Method.Compute(h);
            results[h.Name] = r;
            entries.Add(Entry(h, r));
            progress?.Report(new CalibrationProgress(CalibrationPhase.Thresholds, entries.Count, histograms.Count, histograms.Count));
        }

        return new CalibrationRun(new CalibrationTable(Method.Name, entries, ModelHash, dataHash), histograms, results);
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
                foreach (var (collector, view) in Observe(batch, activations, collectors, order, allowNew: true, cancellationToken))
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
                foreach (var (collector, view) in Observe(batch, activations, collectors, order, allowNew: false, cancellationToken))
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

    private IEnumerable<(HistogramCollector Collector, ILGPU.ArrayView<float> View)> Observe(
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

                collector = new HistogramCollector(_device, name);
                collectors[name] = collector;
                order.Add(collector);
            }

            yield return (collector, view);
        }
    }
}

/// <summary>A finished calibration: the table, the histograms it came from and each tensor's method result.</summary>
/// <param name="Table">Tensor name → threshold, scale and record.</param>
/// <param name="Histograms">Each tensor's histogram, in order of first appearance.</param>
/// <param name="Results">Each tensor's method result by name.</param>
public sealed record CalibrationRun(CalibrationTable Table, IReadOnlyList<TensorHistogram> Histograms, IReadOnlyDictionary<string, CalibrationResult> Results);
