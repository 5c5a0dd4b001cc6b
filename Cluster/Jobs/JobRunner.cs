using System.Globalization;
using System.Text.Json;
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cluster.Results;
using ILGPUInt8.Cluster.Work;
using ILGPUInt8.Layers.Builder;

namespace ILGPUInt8.Cluster.Jobs;

/// <summary>Hands every task of a phase to some worker and returns one result per task (in any order).</summary>
/// <param name="tasks">The phase's tasks.</param>
/// <param name="progress">Counts to update as shards finish.</param>
public delegate Task<IReadOnlyList<ShardResult>> PhaseDispatcher(IReadOnlyList<ShardTask> tasks, JobProgress progress);

/// <summary>
/// A job from start to end, whoever does the shards: check the spec, run its phases through a dispatcher (the cluster's
/// scheduler, or <see cref="LocalJob"/>'s loop), merge what the shards wrote and record the job. Calibration is two
/// phases: pass 1 gives every shard's ranges, merged (max, min) into one range per tensor; pass 2 counts every shard's
/// histograms over those ranges, so they add exactly; the method (with the builder's <see cref="CalibrationPolicy"/>) then reads the summed histograms: the same table as a
/// single machine's two passes over the same batches, bit for bit. A failed shard is left out of what is merged and
/// listed in the job's failures.
/// </summary>
public static class JobRunner
{
    /// <summary>Runs <paramref name="spec"/>; the final status (Completed, or Failed with the reason).</summary>
    public static async Task<JobStatus> RunAsync(JobSpec spec, PhaseDispatcher dispatch, JobProgress progress)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(dispatch);
        ArgumentNullException.ThrowIfNull(progress);
        try
        {
            if (spec.Problem() is { } problem)
            {
                throw new InvalidDataException(problem);
            }

            var (_, inputs, qdq) = SiloEngines.Describe(spec.Model);
            if (inputs.Count != 1)
            {
                throw new InvalidDataException($"Shards feed one input; '{spec.Model}' has {inputs.Count} ({string.Join(", ", inputs)}).");
            }

            if ((spec.Kind == JobKind.Eval || (spec.Kind == JobKind.Run && spec.Int8)) && spec.Table is null && qdq == 0)
            {
                throw new InvalidDataException($"INT8 needs activation ranges: give a calibration table (a calibrate job writes one), or use a QDQ-quantized model. '{spec.Model}' has no QDQ ranges.");
            }

            Directory.CreateDirectory(spec.Output);
            var message = spec.Kind switch
            {
                JobKind.Run => await RunOrEval(spec, ShardPhase.Run, dispatch, progress),
                JobKind.Eval => await RunOrEval(spec, ShardPhase.Eval, dispatch, progress),
                JobKind.Calibrate => await Calibrate(spec, dispatch, progress),
                _ => throw new InvalidDataException($"Unknown job kind {spec.Kind}."),
            };
            progress.End(JobState.Completed, message);
        }
        catch (Exception ex)
        {
            // Whatever stops the job ends it as Failed with the reason: a job that threw would otherwise stay Running.
            progress.End(JobState.Failed, $"{ex.GetType().Name}: {ex.Message}");
        }

        var status = progress.Snapshot();
        Record(spec, status);
        return status;
    }

    private static List<ShardTask> Tasks(JobSpec spec, ShardPhase phase, IEnumerable<int> indices, IReadOnlyList<TensorRange>? ranges = null) =>
        [.. indices.Select(i => new ShardTask { Index = i, Path = spec.Shards[i], Phase = phase, Ranges = ranges })];

    private static async Task<IReadOnlyList<ShardResult>> Phase(JobSpec spec, ShardPhase phase, IEnumerable<int> indices, PhaseDispatcher dispatch, JobProgress progress, IReadOnlyList<TensorRange>? ranges = null)
    {
        var tasks = Tasks(spec, phase, indices, ranges);
        progress.StartPhase(phase.ToString().ToLowerInvariant(), tasks.Count);
        return await dispatch(tasks, progress);
    }

    private static async Task<string> RunOrEval(JobSpec spec, ShardPhase phase, PhaseDispatcher dispatch, JobProgress progress)
    {
        var results = await Phase(spec, phase, Enumerable.Range(0, spec.Shards.Count), dispatch, progress);
        var done = Succeeded(results);
        if (phase == ShardPhase.Run)
        {
            return $"{done.Count} of {spec.Shards.Count} shards' outputs in {spec.Output}";
        }

        // Eval: the counts of every shard that has its file, in shard order.
        var evals = done.Select(i => ShardEval.Read(JobFiles.ShardResult(spec, Tasks(spec, phase, [i])[0]))).ToList();
        long samples = evals.Sum(e => (long)e.Samples), fp32 = evals.Sum(e => (long)e.Fp32Correct), int8 = evals.Sum(e => (long)e.Int8Correct), agree = evals.Sum(e => (long)e.Agree);
        double Share(long n) => samples == 0 ? 0 : n / (double)samples;
        var summary = new { shards = done.Count, samples, fp32_top1 = Share(fp32), int8_top1 = Share(int8), agreement = Share(agree), failed_shards = spec.Shards.Count - done.Count };
        AtomicFile.ReplaceText(JobFiles.EvalSummary(spec), JsonSerializer.Serialize(summary, ShardEval.JsonOptions));
        return string.Create(CultureInfo.InvariantCulture, $"{samples} samples: FP32 top-1 {Share(fp32) * 100:F2} %, INT8 top-1 {Share(int8) * 100:F2} %, agreement {Share(agree) * 100:F2} %; {JobFiles.EvalSummary(spec)}");
    }

    private static async Task<string> Calibrate(JobSpec spec, PhaseDispatcher dispatch, JobProgress progress)
    {
        var (modelHash, inputs, _) = SiloEngines.Describe(spec.Model);
        var method = JobCalibration.Method(spec, inputs);

        var pass1 = Succeeded(await Phase(spec, ShardPhase.Ranges, Enumerable.Range(0, spec.Shards.Count), dispatch, progress));
        if (pass1.Count == 0)
        {
            throw new InvalidDataException("No shard could be read: nothing to calibrate on.");
        }

        var rangeFiles = pass1.Select(i => RangeFile.Read(JobFiles.ShardResult(spec, Tasks(spec, ShardPhase.Ranges, [i])[0]))).ToList();
        var ranges = RangeFile.Merge(rangeFiles);

        var pass2 = Succeeded(await Phase(spec, ShardPhase.Histograms, pass1, dispatch, progress, ranges));
        if (pass2.Count == 0)
        {
            throw new InvalidDataException("No shard gave histograms: nothing to calibrate on.");
        }

        var histograms = HistogramFile.Merge(pass2.Select(i => HistogramFile.Read(JobFiles.ShardResult(spec, Tasks(spec, ShardPhase.Histograms, [i], ranges)[0]))));
        var used = new HashSet<int>(pass2);
        var dataHash = Hashing.DataHash(pass1.Zip(rangeFiles).Where(p => used.Contains(p.First)).SelectMany(p => p.Second.BatchHashes));
        // The method over the summed histograms, as Calibrator.Run does on one machine (entries, warnings, the input check).
        var record = new TableRecord(string.IsNullOrEmpty(modelHash) ? null : modelHash, dataHash, JobCalibration.Preprocessing(spec));
        var table = Calibrator.Tabulate(histograms, method, inputs.ToHashSet(StringComparer.Ordinal), record).Table;
        AtomicFile.Replace(JobFiles.MergedHistograms(spec), s => HistogramFile.Write(s, histograms));
        AtomicFile.ReplaceText(JobFiles.TableCache(spec), table.ToCache().ToText());
        AtomicFile.ReplaceText(JobFiles.TableJson(spec), CalibrationJson.Serialize(table));
        return $"{table.Tensors.Count} tensors calibrated ({method.Name}) on {pass2.Count} of {spec.Shards.Count} shards: {JobFiles.TableJson(spec)} and {JobFiles.TableCache(spec)}";
    }

    private static List<int> Succeeded(IReadOnlyList<ShardResult> results) =>
        [.. results.Where(r => r.Outcome != ShardOutcome.Failed).Select(r => r.Index).Distinct().Order()];

    private static void Record(JobSpec spec, JobStatus status)
    {
        try
        {
            var record = new { spec, status = status.State.ToString(), status.Message, status.Written, status.Skipped, status.Retries, status.Failures, status.Samples, status.Seconds, per_silo = status.PerSilo };
            AtomicFile.ReplaceText(JobFiles.Record(spec), Calibration.IO.JsonStyle.Serialize(record));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The output folder itself is the problem; the status already says so.
        }
    }
}
