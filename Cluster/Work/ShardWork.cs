using System.IO.Compression;
using System.Text.Json;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Cluster.Results;
using ILGPUInt8.Cluster.Shards;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cluster.Work;

/// <summary>
/// What a silo does with one shard in each phase, writing the result file itself. The same code runs a job on one
/// machine (<see cref="LocalJob"/>) and on a cluster, so both give the same files.
/// </summary>
public static class ShardWork
{
    /// <summary>Run: every batch through the engine; the outputs, [n, C, H, W] float32 per network output, to one .npz.</summary>
    public static bool Run(Engine engine, ShardInput shard, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(shard);
        CheckInput(engine, shard);
        var outputs = engine.Outputs.ToDictionary(o => o.Name, _ => new List<float[]>(), StringComparer.Ordinal);
        using (var context = engine.CreateExecutionContext())
        {
            foreach (var batch in shard.Batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = context.Execute(Inputs(batch), batch.Size);
                foreach (var (name, values) in result)
                {
                    outputs[name].Add(values);
                }
            }
        }

        return AtomicFile.CommitOnce(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var o in engine.Outputs)
            {
                // numpy.savez layout: one NAME.npy per array; a fixed entry time keeps equal results byte-equal.
                var entry = zip.CreateEntry(o.Name.Replace('/', '_') + ".npy", CompressionLevel.NoCompression);
                entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = entry.Open();
                NpyFile.Write(s, new NpyArray([.. outputs[o.Name].SelectMany(v => v)], shard.Samples, o.Dims.C, o.Dims.H, o.Dims.W));
            }
        });
    }

    /// <summary>Eval: the arg-max class of every sample under both engines, compared with the labels, to a JSON file.</summary>
    public static bool Eval(Engine fp32, Engine int8, ShardInput shard, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fp32);
        ArgumentNullException.ThrowIfNull(int8);
        ArgumentNullException.ThrowIfNull(shard);
        var labels = shard.Labels ?? throw new InvalidDataException($"Shard '{shard.Path}' has no labels (an IDX label file beside the images, or NAME.labels.npy beside a .npy shard).");
        var a = Classes(fp32, shard, cancellationToken);
        var b = Classes(int8, shard, cancellationToken);
        var eval = new ShardEval
        {
            Samples = shard.Samples,
            Fp32Correct = Enumerable.Range(0, a.Length).Count(i => a[i] == labels[i]),
            Int8Correct = Enumerable.Range(0, b.Length).Count(i => b[i] == labels[i]),
            Agree = Enumerable.Range(0, a.Length).Count(i => a[i] == b[i]),
            Labels = labels,
            Fp32Classes = a,
            Int8Classes = b,
        };
        return AtomicFile.CommitOnce(path, s => JsonSerializer.Serialize(s, eval, ShardEval.JsonOptions));
    }

    /// <summary>Calibration pass 1: every tensor's finite |x| range over the shard and each batch's hash.</summary>
    public static bool Ranges(CalibrationRunner runner, ShardInput shard, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(shard);
        var collectors = new Dictionary<string, HistogramCollector>(StringComparer.Ordinal);
        var order = new List<HistogramCollector>();
        try
        {
            var hashes = new List<byte[]>();
            var activations = new EngineActivationSource(runner);
            foreach (var batch in shard.Batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hashes.Add(Hashing.BatchHash(batch));
                foreach (var (name, view) in activations.Run(batch))
                {
                    if (!collectors.TryGetValue(name, out var collector))
                    {
                        collector = new HistogramCollector(runner.Device, name);
                        collectors[name] = collector;
                        order.Add(collector);
                    }

                    collector.ObserveRange(view);
                    runner.Device.Synchronize();
                }
            }

            var ranges = order.Select(c =>
            {
                var h = c.ToHistogram();
                return new TensorRange { Name = c.Name, Amax = h.Amax, MinAbs = h.MinAbs };
            }).ToList();
            var file = new RangeFile(ranges, hashes);
            return AtomicFile.CommitOnce(path, file.Write);
        }
        finally
        {
            order.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Calibration pass 2: every tensor's 2048-bin histogram over the merged ranges (identical bin edges on every silo).</summary>
    public static bool Histograms(CalibrationRunner runner, ShardInput shard, IReadOnlyList<TensorRange> ranges, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(ranges);
        var collectors = new Dictionary<string, HistogramCollector>(StringComparer.Ordinal);
        try
        {
            foreach (var r in ranges)
            {
                var c = new HistogramCollector(runner.Device, r.Name);
                collectors[r.Name] = c;
                c.SetRange(r.Amax, r.MinAbs);
            }

            var activations = new EngineActivationSource(runner);
            foreach (var batch in shard.Batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var (name, view) in activations.Run(batch))
                {
                    if (!collectors.TryGetValue(name, out var collector))
                    {
                        throw new InvalidOperationException($"Tensor '{name}' has no merged range: the ranges come from another model.");
                    }

                    collector.Count(view);
                    runner.Device.Synchronize();
                }
            }

            var histograms = ranges.Select(r => collectors[r.Name].ToHistogram()).ToList();
            return AtomicFile.CommitOnce(path, s => HistogramFile.Write(s, histograms));
        }
        finally
        {
            foreach (var c in collectors.Values)
            {
                c.Dispose();
            }
        }
    }

    private static int[] Classes(Engine engine, ShardInput shard, CancellationToken cancellationToken)
    {
        CheckInput(engine, shard);
        if (engine.Outputs.Count != 1)
        {
            throw new InvalidOperationException($"Evaluating needs a model with one output; this one has {engine.Outputs.Count}.");
        }

        var classes = (int)engine.Outputs[0].Dims.Volume;
        var result = new int[shard.Samples];
        var first = 0;
        using var context = engine.CreateExecutionContext();
        foreach (var batch in shard.Batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var output = context.Execute(Inputs(batch), batch.Size)[engine.Outputs[0].Name];
            for (var i = 0; i < batch.Size; i++)
            {
                result[first + i] = ArgMax(output.AsSpan(i * classes, classes));
            }

            first += batch.Size;
        }

        return result;
    }

    private static void CheckInput(Engine engine, ShardInput shard)
    {
        if (engine.Inputs.Count != 1)
        {
            throw new InvalidOperationException($"Shards feed one input; the model has {engine.Inputs.Count}.");
        }

        var want = engine.Inputs[0].Dims.Volume;
        var batch = shard.Batches[0];
        var tensor = batch.Inputs.Values.First();
        var got = tensor.Data.LongLength / batch.Size;
        if (got != want)
        {
            throw new InvalidDataException($"Shard '{shard.Path}' has samples of shape ({string.Join(", ", tensor.Shape.Skip(1))}), {got} values; the model's input '{engine.Inputs[0].Name}' is {engine.Inputs[0].Dims} ({want} values).");
        }
    }

    private static Dictionary<string, float[]> Inputs(CalibrationBatch batch) =>
        batch.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value.Data, StringComparer.Ordinal);

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
