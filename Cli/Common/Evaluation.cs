using System.Diagnostics;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>Top-1 classes of one engine over a set of images, and how fast it went.</summary>
/// <param name="Classes">The arg-max class of every image.</param>
/// <param name="Seconds">Wall time of the runs (inputs in, outputs out).</param>
public sealed record Predictions(int[] Classes, double Seconds)
{
    /// <summary>Images per second.</summary>
    public double ImagesPerSecond => Seconds > 0 ? Classes.Length / Seconds : double.PositiveInfinity;

    /// <summary>Share of images whose class equals the label.</summary>
    public double Top1(IReadOnlyList<int> labels) => Share(i => Classes[i] == labels[i]);

    /// <summary>Share of images where this and <paramref name="other"/> agree.</summary>
    public double Agreement(Predictions other) => Share(i => Classes[i] == other.Classes[i]);

    private double Share(Func<int, bool> hit) => Classes.Length == 0 ? 0 : Enumerable.Range(0, Classes.Length).Count(hit) / (double)Classes.Length;
}

/// <summary>Runs an engine with one input and one output over images, batch by batch, and takes the arg-max.</summary>
public static class Evaluation
{
    /// <summary>The predicted class of every image (one warm-up batch first, not timed).</summary>
    public static Predictions Predict(Engine engine, LabelledImages images, int batchSize, IProgressBar? bar = null, DeviceSet? devices = null, DataParallelSplit split = DataParallelSplit.WorkStealing)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(images);
        if (engine.Inputs.Count != 1 || engine.Outputs.Count != 1)
        {
            throw new CliUsageException($"Evaluating needs a model with one input and one output; this one has {engine.Inputs.Count} and {engine.Outputs.Count}.");
        }

        var input = engine.Inputs[0];
        if (input.Dims.Volume != images.ItemSize)
        {
            throw new CliUsageException($"The model's input '{input.Name}' is {input.Dims} ({input.Dims.Volume} values); the images are ({string.Join(", ", images.ItemShape)}).");
        }

        batchSize = Math.Min(batchSize, engine.MaxBatchSize);
        var classes = engine.Outputs[0].Dims.Volume;
        var result = new int[images.Count];
        if (devices is not null)
        {
            return PredictAcross(engine, images, batchSize, bar, devices, split);
        }

        using var context = engine.CreateExecutionContext();
        if (images.Count > 0)
        {
            var warm = Math.Min(batchSize, images.Count);
            context.Execute(images.Batch(0, warm), warm);
        }

        var watch = Stopwatch.StartNew();
        for (var first = 0; first < images.Count; first += batchSize)
        {
            var n = Math.Min(batchSize, images.Count - first);
            var output = context.Execute(images.Batch(first, n), n);
            for (var i = 0; i < n; i++)
            {
                result[first + i] = ArgMax(output.AsSpan((int)(i * classes), (int)classes));
            }

            bar?.Increment(n);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        bar?.Finish();
        return new Predictions(result, seconds);
    }

    /// <summary>
    /// <see cref="Predict"/> with the batches spread over <paramref name="devices"/> (a <see cref="DataParallelRunner"/>,
    /// handing them out by <paramref name="split"/>): the same batches, so the same classes; one warm-up batch per device first, not timed.
    /// </summary>
    private static Predictions PredictAcross(Engine engine, LabelledImages images, int batchSize, IProgressBar? bar, DeviceSet devices, DataParallelSplit split)
    {
        var classes = (int)engine.Outputs[0].Dims.Volume;
        var result = new int[images.Count];
        using var runner = DataParallel.Runner(engine, devices, split);
        var batches = new List<ReadOnlyMemory<float>>();
        for (var first = 0; first < images.Count; first += batchSize)
        {
            batches.Add(images.Batch(first, Math.Min(batchSize, images.Count - first)));
        }

        if (batches.Count > 0)
        {
            runner.Run([.. Enumerable.Repeat(batches[0], devices.Devices.Count)]);
        }

        var watch = Stopwatch.StartNew();
        var outputs = runner.Run(batches);
        var seconds = watch.Elapsed.TotalSeconds;
        for (var b = 0; b < outputs.Count; b++)
        {
            var n = outputs[b].Length / classes;
            for (var i = 0; i < n; i++)
            {
                result[(b * batchSize) + i] = ArgMax(outputs[b].AsSpan(i * classes, classes));
            }
        }

        bar?.Increment(images.Count);
        bar?.Finish();
        return new Predictions(result, seconds);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
