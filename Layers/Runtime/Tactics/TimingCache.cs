using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// What build-time tactic timing measured, kept so that a rebuild takes seconds (TensorRT's timing cache): for each
/// device (name, compute capability, driver, this library's version) and timing problem (the step's problem, epilogue
/// and input alignment at one batch size), the fastest variant and its time. A build that finds its key here uses the
/// recorded variant without timing (when that variant still exists and can run the problem); one that does not, times
/// and records. Devices never share entries: a cache file may hold several devices' entries side by side.
/// File: JSON, <c>{"schema": 1, "entries": [{"device", "problem", "variant", "ms"}]}</c>, written atomically.
/// </summary>
public sealed class TimingCache
{
    /// <summary>The file schema this build reads and writes.</summary>
    public const int Schema = 1;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Dictionary<(string Device, string Problem), Entry> _entries = [];
    private readonly object _gate = new();

    /// <summary>Entries held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Look-ups answered from the cache since it was made or loaded.</summary>
    public int Hits { get; private set; }

    /// <summary>Look-ups that had to time (no entry, or its variant could not run here).</summary>
    public int Misses { get; private set; }

    /// <summary>
    /// Reads a cache file; a missing file gives an empty cache (it is written by <see cref="Save"/> after the build). A
    /// file that is not a timing cache of this schema is an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static TimingCache Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var cache = new TimingCache();
        if (!File.Exists(path))
        {
            return cache;
        }

        CacheFile? file;
        try
        {
            file = JsonSerializer.Deserialize<CacheFile>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Timing cache '{path}' is not valid JSON: {ex.Message}", ex);
        }

        if (file is null || file.Schema != Schema || file.Entries is null)
        {
            throw new InvalidDataException($"Timing cache '{path}' is not a timing cache of schema {Schema} (delete it to time again).");
        }

        foreach (var e in file.Entries)
        {
            if (string.IsNullOrEmpty(e.Device) || string.IsNullOrEmpty(e.Problem) || string.IsNullOrEmpty(e.Variant) || !(e.Ms >= 0) || !double.IsFinite(e.Ms))
            {
                throw new InvalidDataException($"Timing cache '{path}' has an incomplete entry ({e.Device} / {e.Problem} / {e.Variant} / {e.Ms}).");
            }

            cache._entries[(e.Device, e.Problem)] = e;
        }

        return cache;
    }

    /// <summary>Writes the cache (temporary file, then rename).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CacheFile file;
        lock (_gate)
        {
            file = new CacheFile(Schema, [.. _entries.Values.OrderBy(e => e.Device, StringComparer.Ordinal).ThenBy(e => e.Problem, StringComparer.Ordinal)]);
        }

        AtomicFile.Write(path, s => JsonSerializer.Serialize(s, file, Json));
    }

    /// <summary>The key of a device: accelerator name, compute capability, CUDA driver version and this library's version.</summary>
    public static string DeviceKey(Int8Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var accelerator = device.Accelerator;
        var driver = accelerator is CudaAccelerator cuda ? cuda.DriverVersion.ToString() : "none";
        var version = typeof(TimingCache).Assembly.GetName().Version?.ToString() ?? "0";
        return string.Create(CultureInfo.InvariantCulture, $"{accelerator.Name} | {device.Kind} cc {device.ComputeCapability ?? "-"} | driver {driver} | ILGPUInt8 {version}");
    }

    /// <summary>The recorded variant of a problem on a device, if any.</summary>
    internal bool TryGet(string device, string problem, out string variant)
    {
        lock (_gate)
        {
            var found = _entries.TryGetValue((device, problem), out var e);
            variant = e?.Variant ?? string.Empty;
            return found;
        }
    }

    /// <summary>Counts a look-up (for <see cref="Hits"/> and <see cref="Misses"/>).</summary>
    internal void Note(bool hit)
    {
        lock (_gate)
        {
            if (hit)
            {
                Hits++;
            }
            else
            {
                Misses++;
            }
        }
    }

    /// <summary>Records the fastest variant of a problem on a device.</summary>
    internal void Record(string device, string problem, string variant, double ms)
    {
        lock (_gate)
        {
            _entries[(device, problem)] = new Entry(device, problem, variant, ms);
        }
    }

    private sealed record Entry(string Device, string Problem, string Variant, double Ms);

    private sealed record CacheFile(int Schema, [property: JsonRequired] List<Entry>? Entries);
}
