using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// TF32 allowed, not imposed (TensorRT's TF32 flag adds tactics; it does not force them): with tactic timing on, an engine
/// whose FP32 steps would run TF32 (<see cref="BuilderConfig.Tf32"/>) is built a second time in strict FP32, both are
/// profiled at the maximum batch (the sum over steps of the median of <c>repeats</c> runs, as <see cref="PrecisionTiming"/>
/// times them), and the faster whole engine is kept: <see cref="Engine.Tf32"/> says which. One entry named
/// <see cref="EngineChoice"/> in <see cref="Engine.Tactics"/> holds the variant kept ("tf32" or "strict") and both totals.
/// An engine with no TF32 step (the CPU backend, INT8 everywhere) is returned as built, untimed.
/// </summary>
internal static class Tf32Timing
{
    /// <summary>The <see cref="TacticChoice.Layer"/> of the entry that names the engine kept.</summary>
    public const string EngineChoice = "(tf32)";

    /// <summary>Builds with TF32 (<paramref name="build"/>(true)) and, if a step runs TF32, strict (false); returns the faster.</summary>
    public static Engine Choose(Func<bool, Engine> build, int repeats)
    {
        var tf32 = build(true);
        if (!tf32.Layers.Any(l => l.Precision == "TF32"))
        {
            return tf32;
        }

        Engine? strict = null;
        try
        {
            strict = build(false);
            int batch = tf32.Plan.MaxBatchSize;
            double tf32Ms = PrecisionTiming.Time(tf32, batch, repeats).Values.Sum();
            double strictMs = PrecisionTiming.Time(strict, batch, repeats).Values.Sum();
            var keepStrict = strictMs < tf32Ms;
            var (kept, dropped) = keepStrict ? (strict, tf32) : (tf32, strict);
            var totals = new Dictionary<string, double>(StringComparer.Ordinal) { ["tf32"] = tf32Ms, ["strict"] = strictMs };
            kept.AddTactics([new TacticChoice(EngineChoice, batch, keepStrict ? "strict" : "tf32", Math.Min(tf32Ms, strictMs), false, totals)]);
            dropped.Dispose();
            return kept;
        }
        catch
        {
            tf32.Dispose();
            strict?.Dispose();
            throw;
        }
    }
}
