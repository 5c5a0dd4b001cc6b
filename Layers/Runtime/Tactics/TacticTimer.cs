using System.Diagnostics;
using ILGPU.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>What tactic timing chose for one step at one batch size, and what every candidate took.</summary>
/// <param name="Layer">The step's name.</param>
/// <param name="Batch">The batch size timed.</param>
/// <param name="Variant">The variant kept (the fastest, or the timing cache's).</param>
/// <param name="Milliseconds">Its median time (NaN when it came from the cache).</param>
/// <param name="FromCache">True when the timing cache gave the choice (nothing was timed).</param>
/// <param name="Candidates">Median milliseconds of every candidate timed (empty when from the cache).</param>
public sealed record TacticChoice(string Layer, int Batch, string Variant, double Milliseconds, bool FromCache, IReadOnlyDictionary<string, double> Candidates);

/// <summary>
/// Build-time tactic timing, as TensorRT does it: for every step that can run several kernel variants
/// (<see cref="ITunableStep"/>: the INT8 convolutions and fully connected layers, the FP16/TF32 convolutions), at each
/// batch size asked for, run each candidate on the engine's own buffers (one untimed run that also loads it, then
/// <c>repeats</c> timed runs: CUDA profiling markers around each launch sequence on the device, a synchronised stopwatch
/// elsewhere) and keep the one with the smallest median in the plan node's tactics, which the engine file stores. An INT8
/// step's candidates compute the same bits, so the choice changes time only; a float step's differ in their FP32
/// summation order (within their tolerance). A <see cref="TimingCache"/> entry for the device and problem is used instead
/// of timing when its variant can run the step.
/// </summary>
internal static class TacticTimer
{
    public static IReadOnlyList<TacticChoice> Tune(Engine engine, IReadOnlyList<int> batches, TimingCache? cache, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeats);
        var steps = engine.Steps.Where(s => s is ITunableStep).ToList();
        var choices = new List<TacticChoice>();
        if (steps.Count == 0)
        {
            return choices;
        }

        var deviceKey = TimingCache.DeviceKey(engine.Device);
        using var context = engine.CreateExecutionContext();
        foreach (var batch in batches.Distinct().OrderDescending())
        {
            // One whole run on zeros: binds the buffers, loads the heuristic kernels, gives every tensor defined bytes.
            context.Execute(engine.Inputs.ToDictionary(i => i.Name, i => new float[i.Dims.Volume * batch], StringComparer.Ordinal), batch);
            foreach (var step in steps)
            {
                var tunable = (ITunableStep)step;
                var candidates = tunable.Candidates(batch);
                if (candidates.Count < 2)
                {
                    continue;
                }

                var problem = tunable.TimingProblem(batch);
                if (cache is not null && cache.TryGet(deviceKey, problem, out var cached) && candidates.Contains(cached))
                {
                    cache.Note(hit: true);
                    Keep(step, batch, cached);
                    choices.Add(new TacticChoice(step.Node.Name, batch, cached, double.NaN, true, new Dictionary<string, double>()));
                    continue;
                }

                cache?.Note(hit: false);
                var times = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var candidate in candidates)
                {
                    tunable.Trial = candidate;
                    try
                    {
                        times[candidate] = Time(context, step, batch, repeats);
                    }
                    catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
                    {
                        // Refused at launch (a limit CanImplement does not see): not a candidate.
                    }
                    finally
                    {
                        tunable.Trial = null;
                    }
                }

                if (times.Count == 0)
                {
                    continue;
                }

                var best = times.MinBy(t => t.Value);
                Keep(step, batch, best.Key);
                cache?.Record(deviceKey, problem, best.Key, best.Value);
                choices.Add(new TacticChoice(step.Node.Name, batch, best.Key, best.Value, false, times));
            }
        }

        return choices;
    }

    private static void Keep(Step step, int batch, string variant)
    {
        step.Node.Tactics.RemoveAll(t => t.Batch == batch);
        step.Node.Tactics.Add((batch, variant));
        step.Node.Tactics.Sort((a, b) => a.Batch.CompareTo(b.Batch));
    }

    // The median over `repeats` runs of the step alone, after one untimed run (which compiles and loads the variant).
    private static double Time(ExecutionContext context, Step step, int batch, int repeats)
    {
        var device = step.Device;
        Run(context, step, batch);
        device.Synchronize();
        var ms = new double[repeats];
        if (device.IsCuda)
        {
            var stream = device.Accelerator.DefaultStream;
            var markers = new List<(ProfilingMarker Start, ProfilingMarker End)>(repeats);
            try
            {
                for (var i = 0; i < repeats; i++)
                {
                    var start = stream.AddProfilingMarker();
                    Run(context, step, batch);
                    markers.Add((start, stream.AddProfilingMarker()));
                }

                device.Synchronize();
                for (var i = 0; i < repeats; i++)
                {
                    ms[i] = markers[i].End.MeasureFrom(markers[i].Start).TotalMilliseconds;
                }
            }
            finally
            {
                foreach (var (start, end) in markers)
                {
                    start.Dispose();
                    end.Dispose();
                }
            }
        }
        else
        {
            for (var i = 0; i < repeats; i++)
            {
                var watch = Stopwatch.StartNew();
                Run(context, step, batch);
                device.Synchronize();
                ms[i] = watch.Elapsed.TotalMilliseconds;
            }
        }

        Array.Sort(ms);
        return ms[repeats / 2];
    }

    private static void Run(ExecutionContext context, Step step, int batch)
    {
        using (step.Device.LaunchGate.Launching())
        {
            step.Run(context, batch);
        }
    }
}
