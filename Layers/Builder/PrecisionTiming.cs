using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// <c>best</c> by build-time timing (TensorRT's way, on the ILGPU backends when tactic timing is on): the engine of the
/// fixed rule (INT8 where possible, else FP16) and the engine with each of those INT8 steps in FP16 instead are built from
/// the same ranges and profiled at the maximum batch (the median of <c>repeats</c> runs per step); each step keeps the
/// faster precision (its fused layers with it), and the engine of those choices is built. Of the three (rule, all FP16,
/// per-step choice) the fastest in total is returned, so <c>best</c> is never slower than either whole engine as
/// measured. Only steps whose layers ask for no precision of their own are timed. The choices (variant "int8" or "fp16",
/// both times as candidates) are in <see cref="Engine.Tactics"/>, and one entry named <see cref="EngineChoice"/> says which
/// engine won; every step's precision is in the engine and its file as always. Without timing (the CPU backend, timing
/// off) the rule stands.
/// </summary>
internal static class PrecisionTiming
{
    /// <summary>The <see cref="TacticChoice.Layer"/> of the entry that names the engine kept: "rule", "all-fp16" or "per-step".</summary>
    public const string EngineChoice = "(precision)";

    /// <summary>Per-step milliseconds of an engine at a batch (tests: a fixed table instead of the clock), set on the building thread.</summary>
    [ThreadStatic]
    internal static Func<Engine, int, IReadOnlyDictionary<string, double>>? Timer;

    /// <summary>Builds and times the candidates with <paramref name="build"/> (per-layer precision choices, null: the rule) and returns the fastest.</summary>
    public static Engine Choose(Plan ranged, BuilderConfig config, Func<IReadOnlyDictionary<string, LayerPrecision>?, Engine> build, int repeats)
    {
        var rule = build(null);
        var batch = ranged.MaxBatchSize;
        // A step's layers include those lowering folded away (a batch norm, a flatten): asked-for precisions by name.
        var asked = ranged.Nodes.Where(n => config.Request(n.Layer) != LayerPrecision.Auto).Select(n => n.Name)
            .Concat(config.LayerPrecisions.Where(p => p.Value != LayerPrecision.Auto).Select(p => p.Key)).ToHashSet(StringComparer.Ordinal);
        var candidates = rule.Layers.Where(l => l.Int8 && l.Type != LayerType.Convert && !l.Layers.Any(asked.Contains)).ToList();
        if (candidates.Count == 0)
        {
            return rule;
        }

        var engines = new List<(string Name, Engine Engine)> { ("rule", rule) };
        try
        {
            var half = engines.AddAndReturn(("all-fp16", build(Half(candidates))));
            var ruleTimes = Time(rule, batch, repeats);
            var halfTimes = Time(half, batch, repeats);
            var choices = new List<TacticChoice>();
            var faster = new List<EngineLayerInfo>();
            foreach (var step in candidates)
            {
                double int8 = ruleTimes.GetValueOrDefault(step.Name, double.NaN), fp16 = halfTimes.GetValueOrDefault(step.Name, double.NaN);
                var fp16Wins = fp16 < int8;
                if (fp16Wins)
                {
                    faster.Add(step);
                }

                choices.Add(new TacticChoice(step.Name, batch, fp16Wins ? "fp16" : "int8", fp16Wins ? fp16 : int8, false, new Dictionary<string, double>(StringComparer.Ordinal) { ["int8"] = int8, ["fp16"] = fp16 }));
            }

            var totals = new Dictionary<string, double>(StringComparer.Ordinal) { ["rule"] = ruleTimes.Values.Sum(), ["all-fp16"] = halfTimes.Values.Sum() };
            if (faster.Count > 0 && faster.Count < candidates.Count)
            {
                var timed = engines.AddAndReturn(("per-step", build(Half(faster))));
                totals["per-step"] = Time(timed, batch, repeats).Values.Sum();
            }

            var best = totals.MinBy(t => t.Value).Key;
            choices.Add(new TacticChoice(EngineChoice, batch, best, totals[best], false, totals));
            var kept = engines.Single(e => e.Name == best).Engine;
            kept.AddTactics(choices);
            engines.RemoveAll(e => e.Name == best);
            return kept;
        }
        finally
        {
            foreach (var (_, engine) in engines)
            {
                engine.Dispose();
            }
        }
    }

    private static T AddAndReturn<T>(this List<(string Name, T Engine)> list, (string Name, T Engine) item)
    {
        list.Add(item);
        return item.Engine;
    }

    // Every network layer of the steps → FP16.
    private static Dictionary<string, LayerPrecision> Half(IEnumerable<EngineLayerInfo> steps) =>
        steps.SelectMany(s => s.Layers).Distinct(StringComparer.Ordinal).ToDictionary(n => n, _ => LayerPrecision.Half, StringComparer.Ordinal);

    // Median milliseconds per step over `repeats` profiled runs on zeros (after one warm-up run), or the test's timer.
    internal static Dictionary<string, double> Time(Engine engine, int batch, int repeats)
    {
        if (Timer is { } timer)
        {
            return new Dictionary<string, double>(timer(engine, batch), StringComparer.Ordinal);
        }

        using var context = engine.CreateExecutionContext();
        var inputs = engine.Inputs.ToDictionary(i => i.Name, i => new float[i.Dims.Volume * batch], StringComparer.Ordinal);
        context.Execute(inputs, batch);
        var runs = Enumerable.Range(0, repeats).Select(_ => context.Profile(inputs, batch)).ToList();
        return runs[0].Layers.Select((l, i) => (l.Name, Ms: Median(runs.Select(r => r.Layers[i].Milliseconds))))
            .GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(t => t.Ms), StringComparer.Ordinal);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
