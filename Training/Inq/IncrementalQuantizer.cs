using System.Diagnostics;

namespace ILGPUInt8.Training.Inq;

/// <summary>
/// Incremental Network Quantization: for each accumulated portion r (50 → 75 → 87.5 → 100 %), in every layer the r share
/// of weights of largest magnitude is fixed at its power of two (<see cref="PowerOfTwo"/>, exponent range from the
/// layer's float weights before INQ) and frozen; the rest, with biases and batch-norm γ, β, retrain with SGD to recover
/// the loss. Convolution and fully connected weights (the parameters with weight decay) are quantized; biases and
/// batch-norm parameters stay float (they fold into the requantize multipliers).
/// </summary>
public static class IncrementalQuantizer
{
    /// <summary>Progress: (step index, batches done in the step, batches of the step, mean loss so far).</summary>
    public delegate void Progress(int step, int done, int total, double loss);

    /// <summary>The weights INQ quantizes.</summary>
    public static IEnumerable<Parameter> QuantizedWeights(TrainableNetwork network) => network.Parameters.Where(p => p.Decay);

    /// <summary>
    /// Runs INQ on <paramref name="network"/> in place; returns the table: row 0 the float model, then one row per portion.
    /// </summary>
    public static IReadOnlyList<InqStep> Run(TrainableNetwork network, LabelledImages train, LabelledImages test, InqOptions options,
        Progress? progress = null, Action<InqStep>? stepDone = null)
    {
        options.Validate();
        if (options.Device is not { } kind)
        {
            return RunOn(network, train, test, options, progress, stepDone);
        }

        var previous = network.Device;
        using var device = TrainingDevice.Open(kind);
        network.Device = device;
        try
        {
            return RunOn(network, train, test, options, progress, stepDone);
        }
        finally
        {
            network.Device = previous;
        }
    }

    private static List<InqStep> RunOn(TrainableNetwork network, LabelledImages train, LabelledImages test, InqOptions options,
        Progress? progress, Action<InqStep>? stepDone)
    {
        var clock = Stopwatch.StartNew();
        var rows = new List<InqStep> { new(0, Trainer.Accuracy(network, test), double.NaN, clock.Elapsed.TotalSeconds) };
        stepDone?.Invoke(rows[0]);
        var weights = QuantizedWeights(network).ToList();
        var ranges = weights.Select(p => PowerOfTwo.ForLayer(p.Value.Max(MathF.Abs), options.Bits)).ToList();
        int batchesPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        int stepBatches = (int)Math.Round(options.EpochsPerStep * batchesPerEpoch);
        for (var step = 0; step < options.Portions.Count; step++)
        {
            clock.Restart();
            for (var i = 0; i < weights.Count; i++)
            {
                Freeze(weights[i], ranges[i], options.Portions[step]);
            }

            double loss = Retrain(network, train, options, stepBatches, options.Seed + (1000 * step), (done, total, l) => progress?.Invoke(step + 1, done, total, l));
            var row = new InqStep(options.Portions[step], Trainer.Accuracy(network, test), loss, clock.Elapsed.TotalSeconds);
            rows.Add(row);
            stepDone?.Invoke(row);
        }

        return rows;
    }

    /// <summary>
    /// Fixes the ⌈portion · count⌉ largest-magnitude weights of <paramref name="p"/> (those already fixed count) at their
    /// powers of two; ties in magnitude go to the lower index.
    /// </summary>
    public static void Freeze(Parameter p, PowerOfTwo range, double portion)
    {
        var frozen = p.Frozen ??= new bool[p.Value.Length];
        int target = (int)Math.Ceiling(portion * p.Value.Length), have = frozen.Count(f => f);
        var candidates = Enumerable.Range(0, p.Value.Length).Where(i => !frozen[i])
            .OrderByDescending(i => MathF.Abs(p.Value[i])).ThenBy(i => i).Take(Math.Max(0, target - have));
        foreach (var i in candidates)
        {
            p.Value[i] = range.Quantize(p.Value[i]);
            p.Velocity[i] = 0;
            frozen[i] = true;
        }
    }

    // SGD for a number of batches over seeded shuffles (one per pass over the data), the learning rate falling linearly
    // from η to η/10 across the step.
    private static double Retrain(TrainableNetwork network, LabelledImages train, InqOptions options, int batches, int seed, Action<int, int, double> progress)
    {
        if (batches == 0)
        {
            return double.NaN;
        }

        double lossSum = 0;
        int[] order = [];
        int position = train.Count, pass = 0;
        for (var b = 0; b < batches; b++)
        {
            if (position >= train.Count)
            {
                order = Trainer.Shuffle(train.Count, seed + pass++);
                position = 0;
            }

            int count = Math.Min(options.BatchSize, train.Count - position);
            var (x, y) = train.Batch(order, position, count);
            position += count;
            float lr = options.LearningRate * (1f - (0.9f * b / batches));
            lossSum += network.ComputeGradients(x, y);
            new SgdMomentum(lr, options.Momentum, options.WeightDecay).Step(network.Parameters);
            progress(b + 1, batches, lossSum / (b + 1));
        }

        return lossSum / batches;
    }
}
