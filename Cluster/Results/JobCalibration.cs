using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Shards;
using ILGPUInt8.Cluster.Work;
using ILGPUInt8.Layers.Builder;

namespace ILGPUInt8.Cluster.Results;

/// <summary>
/// A calibrate job's result as one machine's <see cref="Calibrator.Run"/> gives it: the method with the builder's
/// <see cref="CalibrationPolicy"/>, the preprocessing the table records, and, once the job has finished, the
/// <see cref="CalibrationRun"/> (table, merged histograms, each tensor's result) read back from its files.
/// </summary>
public static class JobCalibration
{
    /// <summary>The method every tensor is calibrated with (entropy calibrates the network inputs min-max, as on one machine).</summary>
    public static ICalibrationMethod Method(JobSpec spec, IReadOnlyList<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return CalibrationPolicy.Default.MethodFor(CalibrationMethods.Create(spec.Method, spec.Percentile), inputs);
    }

    /// <summary>
    /// The preprocessing the table records: x = (p · 1/255 − mean) / std when every shard is IDX images (the pixels were
    /// normalized so), else null (.npy values are taken as they are: their preprocessing is not known).
    /// </summary>
    public static Preprocessing? Preprocessing(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Shards.All(s => File.Exists(s) && ShardInput.IsIdxImages(Path.GetFileName(s)))
            ? new Preprocessing(1.0 / 255.0, [spec.NormalizeMean], [spec.NormalizeStd])
            : null;
    }

    /// <summary>The table (<c>OUT/table.json</c>), the merged histograms and each tensor's result of a finished calibrate job.</summary>
    public static CalibrationRun Read(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var table = CalibrationJson.Read(JobFiles.TableJson(spec));
        var histograms = HistogramFile.Read(JobFiles.MergedHistograms(spec));
        var (_, inputs, _) = SiloEngines.Describe(spec.Model);
        var method = Method(spec, inputs);
        var results = histograms.ToDictionary(h => h.Name, method.Compute, StringComparer.Ordinal);
        return new CalibrationRun(table, histograms, results);
    }
}
