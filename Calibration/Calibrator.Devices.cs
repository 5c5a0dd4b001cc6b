using System.Collections.Concurrent;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Calibration;

/// <summary>One device of a calibration split over the devices of a host: the device and the FP32 run observed on it.</summary>
/// <param name="Device">Where the histograms are counted (the device the activations live on).</param>
/// <param name="Activations">The network run on that device.</param>
public sealed record DeviceActivations(Int8Device Device, IActivationSource Activations);

/// <summary>The two passes split over several devices (<see cref="RunAcross"/>).</summary>
public sealed partial class Calibrator
{
    /// <summary>
    /// <see cref="Run"/> with the batches shared by <paramref name="devices"/> (each takes the next batch not yet taken):
    /// pass 1 folds each device's ranges, which merge by max and min (<see cref="HistogramMerge.Ranges"/>); pass 2 counts
    /// each device's histograms over the merged ranges, which merge by addition (<see cref="HistogramMerge.Histograms"/>),
    /// as a cluster merges its shards. Max, min and integer sums commute, so the table equals one device's bit for bit,
    /// whichever device ran which batch. A failure on a device is an InvalidOperationException naming it.
    /// </summary>
    public CalibrationRun RunAcross(ICalibrationDataSource data, IReadOnlyList<DeviceActivations> devices, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (histograms, dataHash) = CollectHistogramsAcross(data, devices, progress, cancellationToken);
        var inputs = data.InputNames.ToHashSet(StringComparer.Ordinal);
        return Tabulate(histograms, Method, inputs, new TableRecord(ModelHash, dataHash, Preprocessing), SaturationWarning, progress, cancellationToken);
    }

    /// <summary>Passes 1 and 2 over several devices (<see cref="RunAcross"/>): the merged histograms and the data hash.</summary>
    public static (IReadOnlyList<TensorHistogram> Histograms, string DataHash) CollectHistogramsAcross(ICalibrationDataSource data, IReadOnlyList<DeviceActivations> devices,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(devices);
        if (devices.Count == 0)
        {
            throw new ArgumentException("Calibrating across devices needs at least one device.", nameof(devices));
        }

        var n = devices.Count;
        var collectors = new Dictionary<string, HistogramCollector>[n];
        var orders = new List<HistogramCollector>[n];
        for (var d = 0; d < n; d++)
        {
            collectors[d] = new(StringComparer.Ordinal);
            orders[d] = [];
        }

        try
        {
            // Pass 1: each device folds the ranges of the batches it takes.
            var hashes = new ConcurrentBag<byte[]>();
            var batches = Share(data, devices, CalibrationPhase.Range, progress, cancellationToken, (d, batch) =>
            {
                hashes.Add(Hashing.BatchHash(batch));
                foreach (var (collector, view) in Observe(devices[d].Device, batch, devices[d].Activations, collectors[d], orders[d], allowNew: true, cancellationToken))
                {
                    collector.ObserveRange(view);
                    devices[d].Device.Synchronize();
                }
            });
            if (batches == 0)
            {
                throw new InvalidOperationException("The calibration data source gave no batches.");
            }

            var ranges = HistogramMerge.Ranges(orders.Select(order => order.Select(c =>
            {
                var h = c.ToHistogram();
                return new FiniteRange(c.Name, h.Amax, h.MinAbs);
            }).ToList()));
            for (var d = 0; d < n; d++)
            {
                orders[d].ForEach(c => c.Dispose());
                orders[d].Clear();
                collectors[d].Clear();
                foreach (var r in ranges)
                {
                    var c = new HistogramCollector(devices[d].Device, r.Name);
                    orders[d].Add(c);
                    collectors[d][r.Name] = c;
                    c.SetRange(r.Amax, r.MinAbs);
                }
            }

            // Pass 2: each device counts the batches it takes over the merged ranges (the same bin edges everywhere).
            Share(data, devices, CalibrationPhase.Histogram, progress, cancellationToken, (d, batch) =>
            {
                foreach (var (collector, view) in Observe(devices[d].Device, batch, devices[d].Activations, collectors[d], orders[d], allowNew: false, cancellationToken))
                {
                    collector.Count(view);
                    devices[d].Device.Synchronize();
                }
            });
            var histograms = HistogramMerge.Histograms(orders.Select(order => (IReadOnlyList<TensorHistogram>)[.. order.Select(c => c.ToHistogram())]));
            return (histograms, Hashing.DataHash(hashes));
        }
        finally
        {
            foreach (var order in orders)
            {
                order.ForEach(c => c.Dispose());
            }
        }
    }

    /// <summary>
    /// One thread per device, each taking the next batch of <paramref name="data"/> under a lock until there is none;
    /// returns the batches run. The first failure stops the others and is rethrown naming its device.
    /// </summary>
    private static int Share(ICalibrationDataSource data, IReadOnlyList<DeviceActivations> devices, CalibrationPhase phase,
        IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken, Action<int, CalibrationBatch> body)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var source = data.Batches().GetEnumerator();
        var gate = new object();
        var done = 0;
        var errors = new Exception?[devices.Count];
        var threads = devices.Select((device, d) => new Thread(() =>
        {
            try
            {
                device.Device.Accelerator.Bind(); // this thread launches on this device (CUDA: its context current)
                while (true)
                {
                    CalibrationBatch batch;
                    lock (gate)
                    {
                        stop.Token.ThrowIfCancellationRequested();
                        if (!source.MoveNext())
                        {
                            return;
                        }

                        batch = source.Current;
                    }

                    body(d, batch);
                    lock (gate)
                    {
                        done++;
                        progress?.Report(new CalibrationProgress(phase, done, data.BatchCount, 0));
                    }
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                errors[d] = ex;
                stop.Cancel();
            }
        })
        { IsBackground = true, Name = $"calibrate {device.Device.Spec.Name} #{d}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        cancellationToken.ThrowIfCancellationRequested();
        var failed = errors.Select((e, d) => (e, d)).Where(x => x.e is not null and not OperationCanceledException).ToList();
        if (failed.Count > 0)
        {
            var (e, d) = failed[0];
            throw new InvalidOperationException($"Calibration ({phase} pass) failed on device {d} ({devices[d].Device.DisplayName}): {e!.Message}", e);
        }

        return done;
    }
}
