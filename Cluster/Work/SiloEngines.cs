using System.Collections.Concurrent;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cluster.Jobs;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cluster.Work;

/// <summary>
/// The engines one silo (one process, one device: CUDA when present, else the CPU backend) keeps between shards, built
/// on first use per job setting: the FP32 and INT8 engines of a model, and its calibration runner. A job's shards reuse
/// them, so a model is imported and its engines built once per silo, not once per shard. Thread-safe; disposing waits
/// for nothing: an engine in use is disposed when its user returns it (<see cref="Lease{T}"/>).
/// </summary>
public sealed class SiloEngines : IDisposable
{
    private static readonly ConcurrentDictionary<string, (string, IReadOnlyList<string>, int)> Descriptions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Engines built so far (for the silo's info).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The FP32 engine (<paramref name="int8"/> false) or INT8 engine of the job's model, leased until disposed.</summary>
    public Lease<Engine> Engine(JobSpec spec, bool int8)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var key = $"{(int8 ? "int8" : "fp32")}|{spec.BatchSize}|{Path.GetFullPath(spec.Model)}|{(int8 && spec.Table is { } t ? Path.GetFullPath(t) : "")}";
        return Take(key, () => Build(spec, int8));
    }

    /// <summary>The calibration runner (the FP32 engine showing every tensor) of the job's model, leased until disposed.</summary>
    public Lease<CalibrationRunner> Runner(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var key = $"calibration|{spec.BatchSize}|{Path.GetFullPath(spec.Model)}";
        return Take(key, () => EngineBuilder.CreateCalibrationRunner(Model(spec.Model).Network, spec.BatchSize));
    }

    /// <summary>The model's hash, its input names and how many tensors have QDQ ranges (for tables and checks).</summary>
    public static (string Sha256, IReadOnlyList<string> Inputs, int QdqRanges) Describe(string model)
    {
        var file = new FileInfo(model);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"Model '{model}' not found.", model);
        }

        return Descriptions.GetOrAdd($"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}", _ =>
        {
            var loaded = Model(model);
            return (loaded.ModelSha256, [.. loaded.Network.Inputs.Select(i => i.Name)], loaded.QdqRanges.Count);
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var entry in _entries.Values)
            {
                entry.Retire();
            }

            _entries.Clear();
        }
    }

    private Lease<T> Take<T>(string key, Func<T> build)
        where T : class, IDisposable
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry(build());
                _entries[key] = entry;
            }

            return new Lease<T>((T)entry.Value, entry.Acquire());
        }
    }

    private static Engine Build(JobSpec spec, bool int8)
    {
        var loaded = Model(spec.Model);
        if (!int8)
        {
            return EngineBuilder.Build(loaded.Network, new BuilderConfig { MaxBatchSize = spec.BatchSize });
        }

        IReadOnlyDictionary<string, float>? thresholds = null;
        if (spec.Table is { } path)
        {
            var table = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? CalibrationJson.Read(path)
                : CalibrationTable.FromCache(CalibrationCache.Read(path), source: path);
            var known = table.Tensors.Select(t => t.Name).Where(n => loaded.Network.FindTensor(n) is not null).ToList();
            table.Validate(new ModelSignature(string.IsNullOrEmpty(loaded.ModelSha256) ? null : loaded.ModelSha256, known), path);
            thresholds = table.ToThresholds();
        }
        else if (loaded.QdqRanges.Count == 0)
        {
            throw new InvalidOperationException($"INT8 needs activation ranges: give a calibration table, or use a QDQ-quantized model. '{spec.Model}' has no QDQ ranges.");
        }

        return EngineBuilder.Build(loaded.Network, new BuilderConfig { MaxBatchSize = spec.BatchSize, Int8 = true, CalibrationTable = thresholds });
    }

    private static OnnxLoadedModel Model(string path)
    {
        try
        {
            return OnnxNetworkLoader.Load(path);
        }
        catch (Exception ex) when (ex is OnnxImportException or NetworkException)
        {
            throw new InvalidDataException($"Cannot import '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>A cached engine and how many hold it; retired entries dispose when the last holder leaves.</summary>
    private sealed class Entry(IDisposable value)
    {
        private readonly Lock _lock = new();
        private int _holders;
        private bool _retired;

        public IDisposable Value { get; } = value;

        public Action Acquire()
        {
            lock (_lock)
            {
                _holders++;
            }

            return Release;
        }

        public void Retire()
        {
            lock (_lock)
            {
                _retired = true;
                if (_holders == 0)
                {
                    Value.Dispose();
                }
            }
        }

        private void Release()
        {
            lock (_lock)
            {
                if (--_holders == 0 && _retired)
                {
                    Value.Dispose();
                }
            }
        }
    }
}

/// <summary>A cached object in use: dispose to give it back (never disposes the object itself while cached).</summary>
/// <typeparam name="T">The object.</typeparam>
public sealed class Lease<T>(T value, Action release) : IDisposable
{
    private Action? _release = release;

    /// <summary>The object.</summary>
    public T Value { get; } = value;

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
