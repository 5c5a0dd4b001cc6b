using System.Collections.Concurrent;
using System.Diagnostics;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// Runs one engine on several devices of a host, batches split between them (data parallelism). The engine is
/// serialized once and read back on every device (<see cref="Engine.DeserializeFor"/>: the CUDA kernels on a GPU, the
/// CPU backend on a CPU accelerator), so every replica runs the same plan and gives the same bits as the original.
/// Each device has one thread and one execution context: a <see cref="PipelinedRunner{TInput}"/> for single-input,
/// single-output engines (page-locked staging on CUDA, copies overlapped with compute), else an
/// <see cref="ExecutionContext"/>. Batches go out statically or by work stealing (<see cref="DataParallelOptions.Split"/>);
/// outputs come back in input order whichever device ran them. When a device fails the others finish their batches,
/// then a <see cref="DataParallelException"/> names the device and carries what completed. One run at a time.
/// </summary>
public sealed class DataParallelRunner : IDisposable
{
    private readonly Replica[] _replicas;
    private readonly DeviceSet? _owned;
    private bool _disposed;

    /// <summary>
    /// Replicas of <paramref name="engine"/> (which the runner does not own) on <paramref name="devices"/> (which it does
    /// not own either; a device may not be listed twice).
    /// </summary>
    public DataParallelRunner(Engine engine, IReadOnlyList<Int8Device> devices, DataParallelOptions? options = null)
        : this(engine, devices, options, owned: null)
    {
    }

    private DataParallelRunner(Engine engine, IReadOnlyList<Int8Device> devices, DataParallelOptions? options, DeviceSet? owned)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(devices);
        _owned = owned;
        if (devices.Count == 0)
        {
            throw new ArgumentException("A data-parallel runner needs at least one device.", nameof(devices));
        }

        if (devices.Distinct().Count() != devices.Count)
        {
            throw new ArgumentException("A device is listed twice: each replica needs a device of its own (create a CPU device once per replica).", nameof(devices));
        }

        Options = options ?? new DataParallelOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.PipelineDepth, 1);
        Engine = engine;
        using var plan = new MemoryStream();
        engine.Serialize(plan);
        var bytes = plan.ToArray();
        var replicas = new List<Replica>();
        try
        {
            for (var d = 0; d < devices.Count; d++)
            {
                var device = devices[d];
                try
                {
                    using var stream = new MemoryStream(bytes, writable: false);
                    replicas.Add(new Replica(d, device, Engine.DeserializeFor(stream, device, Options.CpuIsa ?? engine.HostIsa)));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    throw new InvalidOperationException($"Device {d} ({device.DisplayName}) could not load the engine: {ex.Message}", ex);
                }
            }
        }
        catch
        {
            replicas.ForEach(r => r.Dispose());
            throw;
        }

        _replicas = [.. replicas];
    }

    /// <summary>The engine the replicas were made from.</summary>
    public Engine Engine { get; }

    /// <summary>The options.</summary>
    public DataParallelOptions Options { get; }

    /// <summary>The devices, in order.</summary>
    public IReadOnlyList<Int8Device> Devices => [.. _replicas.Select(r => r.Device)];

    /// <summary>Each device's copy of the engine, in device order.</summary>
    public IReadOnlyList<Engine> Replicas => [.. _replicas.Select(r => r.Engine)];

    /// <summary>What the last finished run did, per device and in all, or null.</summary>
    public DataParallelRunStats? LastRun { get; private set; }

    /// <summary>
    /// A runner on the devices <paramref name="specs"/> names (<see cref="DeviceSpec.ParseList"/>), which it creates and
    /// disposes: a new CPU accelerator for every <c>cpu</c> listed, the process's shared device for a CUDA device.
    /// </summary>
    public static DataParallelRunner Create(Engine engine, IReadOnlyList<DeviceSpec> specs, DataParallelOptions? options = null)
    {
        var set = DeviceSet.Open(specs);
        try
        {
            return new DataParallelRunner(engine, set.Devices, options, set);
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs every batch of a single-input, single-output engine (each a whole number of NCHW items, 1 to the maximum
    /// batch) and returns the outputs in input order.
    /// </summary>
    public IReadOnlyList<float[]> Run(IReadOnlyList<ReadOnlyMemory<float>> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (Engine.Inputs.Count != 1 || Engine.Outputs.Count != 1)
        {
            throw new NotSupportedException($"This overload runs single-input, single-output engines; this one has {Engine.Inputs.Count} inputs and {Engine.Outputs.Count} outputs (use the dictionary overload).");
        }

        var volume = Engine.Inputs[0].Dims.Volume;
        var output = Engine.Outputs[0].Name;
        var results = Schedule(batches.Count, i => (int)(batches[i].Length / Math.Max(1, volume)), (r, indices, done) =>
        {
            var taken = new ConcurrentQueue<int>();
            var pipeline = r.Pipeline(Options.PipelineDepth);
            foreach (var values in pipeline.Run(indices.Select(i =>
            {
                taken.Enqueue(i);
                return batches[i];
            })))
            {
                taken.TryDequeue(out var i);
                done(i, new Dictionary<string, float[]>(StringComparer.Ordinal) { [output] = values });
            }
        });
        return [.. results.Select(r => r[output])];
    }

    /// <summary>Runs every batch (inputs by name, NCHW float, the batch size taken from the first input) and returns the outputs in input order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, float[]>> Run(IReadOnlyList<IReadOnlyDictionary<string, float[]>> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var first = Engine.Inputs[0];
        int Size(int i) => batches[i].TryGetValue(first.Name, out var v) ? (int)(v.LongLength / Math.Max(1, first.Dims.Volume)) : 0;
        return Schedule(batches.Count, Size, (r, indices, done) =>
        {
            var context = r.Context();
            foreach (var i in indices)
            {
                done(i, context.Execute(batches[i], Size(i)));
            }
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var r in _replicas)
        {
            r.Dispose();
        }

        _owned?.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="count"/> batches: one thread per device calls <paramref name="work"/> with the indices it
    /// takes (a static range, or the next free index on demand) and a callback for each finished batch.
    /// </summary>
    private IReadOnlyDictionary<string, float[]>[] Schedule(int count, Func<int, int> items,
        Action<Replica, IEnumerable<int>, Action<int, IReadOnlyDictionary<string, float[]>>> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new IReadOnlyDictionary<string, float[]>?[count];
        var n = _replicas.Length;
        var errors = new Exception?[n];
        var stats = new (long Batches, long Items, double Seconds)[n];
        var next = -1;
        var watch = Stopwatch.StartNew();
        IEnumerable<int> Indices(int d)
        {
            if (Options.Split == DataParallelSplit.Static)
            {
                // Device d of n takes [d·B/n, (d+1)·B/n): contiguous, sizes differing by one batch at most.
                for (var i = (int)((long)d * count / n); i < (int)((long)(d + 1) * count / n); i++)
                {
                    Options.BeforeBatch?.Invoke(d, i);
                    yield return i;
                }

                yield break;
            }

            int taken;
            while ((taken = Interlocked.Increment(ref next)) < count)
            {
                Options.BeforeBatch?.Invoke(d, taken);
                yield return taken;
            }
        }

        var threads = _replicas.Select((r, d) => new Thread(() =>
        {
            var own = Stopwatch.StartNew();
            try
            {
                r.Device.Accelerator.Bind(); // this thread launches on this device (CUDA: its context current)
                work(r, Indices(d), (i, output) =>
                {
                    results[i] = output;
                    stats[d].Batches++;
                    stats[d].Items += items(i);
                });
            }
            catch (Exception ex)
            {
                errors[d] = ex;
            }

            stats[d].Seconds = own.Elapsed.TotalSeconds;
        })
        { IsBackground = true, Name = $"ilgpu-int8 {r.Device.Spec.Name} #{d}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var run = new DataParallelRunStats(
            [.. _replicas.Select((r, d) => new DeviceRunStats(d, r.Device.DisplayName, stats[d].Batches, stats[d].Items, stats[d].Seconds))],
            stats.Sum(s => s.Batches), stats.Sum(s => s.Items), watch.Elapsed.TotalSeconds);
        if (errors.Any(e => e is not null))
        {
            throw Failure(errors, results, run);
        }

        LastRun = run;
        return results!;
    }

    private DataParallelException Failure(Exception?[] errors, IReadOnlyDictionary<string, float[]>?[] results, DataParallelRunStats run)
    {
        var failed = errors.Select((e, d) => (e, d)).Where(x => x.e is not null).ToList();
        var names = failed.Select(x => $"device {x.d} ({_replicas[x.d].Device.DisplayName})").ToList();
        var missing = Enumerable.Range(0, results.Length).Where(i => results[i] is null).ToList();
        var what = string.Join("; ", failed.Select(x => $"device {x.d} ({_replicas[x.d].Device.DisplayName}) failed: {x.e!.Message}"));
        var done = string.Join(", ", run.Devices.Select(s => $"device {s.Index} ({s.Device}) {s.Batches}"));
        var message = $"{what}. Completed {results.Length - missing.Count} of {results.Length} batches ({done}); not run: {Ranges(missing)}. "
            + "The completed outputs are in DataParallelException.Completed.";
        var inner = failed.Count == 1 ? failed[0].e! : new AggregateException(failed.Select(x => x.e!));
        return new DataParallelException(message, names, results, run, inner);
    }

    /// <summary>Batch indices as ranges: 3-5, 9.</summary>
    private static string Ranges(List<int> indices)
    {
        var parts = new List<string>();
        for (var k = 0; k < indices.Count;)
        {
            var start = k;
            while (k + 1 < indices.Count && indices[k + 1] == indices[k] + 1)
            {
                k++;
            }

            parts.Add(k == start ? $"{indices[start]}" : $"{indices[start]}-{indices[k]}");
            k++;
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private sealed class Replica(int index, Int8Device device, Engine engine) : IDisposable
    {
        private PipelinedRunner<float>? _pipeline;
        private ExecutionContext? _context;

        public int Index { get; } = index;

        public Int8Device Device { get; } = device;

        public Engine Engine { get; } = engine;

        public PipelinedRunner<float> Pipeline(int depth) => _pipeline ??= new PipelinedRunner<float>(Engine, depth);

        public ExecutionContext Context() => _context ??= Engine.CreateExecutionContext();

        public void Dispose()
        {
            _pipeline?.Dispose();
            _context?.Dispose();
            Engine.Dispose();
        }
    }
}
