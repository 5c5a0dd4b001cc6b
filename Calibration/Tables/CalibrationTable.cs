using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// The result of a calibration: tensor name → threshold and scale (with the richer record of each), the method,
/// and hashes of the model and the calibration data. Written as TensorRT's cache text (<see cref="ToCache"/>,
/// <see cref="CalibrationCache"/>) and as JSON (<see cref="CalibrationJson"/>); reading either checks it against the
/// model (<see cref="Validate"/>).
/// </summary>
public sealed class CalibrationTable
{
    private readonly Dictionary<string, TensorCalibration> _byName;

    /// <summary>Smallest threshold a table may hold: below it the scale is meaningless (or denormal) for float32 data.</summary>
    public const double MinThreshold = 1e-8;

    /// <summary>Largest threshold a table may hold.</summary>
    public const double MaxThreshold = 1e8;

    /// <summary>Smallest scale a table may hold (T ≥ 1.27e-6): a scale of 1e-10 turns every activation into ±127.</summary>
    public const float MinScale = 1e-8f;

    /// <summary>Creates a table; tensor names must be unique.</summary>
    public CalibrationTable(string method, IEnumerable<TensorCalibration> tensors, string? modelHash = null, string? dataHash = null, Preprocessing? preprocessing = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(tensors);
        Method = method;
        Tensors = [.. tensors];
        _byName = new Dictionary<string, TensorCalibration>(StringComparer.Ordinal);
        foreach (var t in Tensors)
        {
            if (!_byName.TryAdd(t.Name, t))
            {
                throw new ArgumentException($"Tensor '{t.Name}' appears twice in the table.", nameof(tensors));
            }
        }

        ModelHash = modelHash;
        DataHash = dataHash;
        Preprocessing = preprocessing;
    }

    /// <summary>The method that chose the thresholds (entries may name their own).</summary>
    public string Method { get; }

    /// <summary>Entries in the order they were produced.</summary>
    public IReadOnlyList<TensorCalibration> Tensors { get; }

    /// <summary>Hash of the model the table was made for, or null (TensorRT caches carry none).</summary>
    public string? ModelHash { get; }

    /// <summary>Order-independent hash of the calibration data (<see cref="Hashing.DataHash"/>), or null.</summary>
    public string? DataHash { get; }

    /// <summary>How the calibration data was prepared (null: unknown, e.g. a TensorRT cache).</summary>
    public Preprocessing? Preprocessing { get; }

    /// <summary>What the calibration noticed: tensors that saturate, are empty or all zero, saw NaN/Inf.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The entry of a tensor.</summary>
    public TensorCalibration this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"The calibration table has no tensor '{name}'.");

    /// <summary>True when the table has an entry for <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Tensor name → scale, for an engine's SetDynamicRange-style input.</summary>
    public IReadOnlyDictionary<string, float> Scales() => Tensors.ToDictionary(t => t.Name, t => t.Scale, StringComparer.Ordinal);

    /// <summary>TensorRT's cache of this table: the header for its method, then every tensor's scale.</summary>
    public CalibrationCache ToCache() =>
        new(CalibrationCache.HeaderFor(Method), [.. Tensors.Select(t => new KeyValuePair<string, float>(t.Name, t.Scale))]);

    /// <summary>
    /// A table from TensorRT's cache (threshold = 127 · scale, amax unknown), checked against <paramref name="model"/>
    /// when given. Scales must be finite and &gt; 0.
    /// </summary>
    public static CalibrationTable FromCache(CalibrationCache cache, ModelSignature? model = null, string source = "TensorRT cache")
    {
        ArgumentNullException.ThrowIfNull(cache);
        string method = cache.Method;
        var tensors = new List<TensorCalibration>();
        if (cache.Scales.Count == 0)
        {
            throw new InvalidDataException($"{source}: the table holds no tensor (a header only); an empty table would run every layer in FP32.");
        }

        foreach (var (name, scale) in cache.Scales)
        {
            CheckRange(name, scale * 127.0, scale, source);
            tensors.Add(new TensorCalibration(name, method, scale * 127.0, scale));
        }

        var table = new CalibrationTable(method, tensors);
        if (model is not null)
        {
            table.Validate(model, source);
        }

        return table;
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> unless the entry is sane: threshold T finite in
    /// [<see cref="MinThreshold"/>, <see cref="MaxThreshold"/>] and scale a normal float32 of at least <see cref="MinScale"/>.
    /// A table with T = 1e-10 or a denormal scale would quantize every value to ±127 without a word.
    /// </summary>
    public static void CheckRange(string name, double threshold, float scale, string source = "calibration table")
    {
        if (!float.IsNormal(scale) || scale < MinScale)
        {
            throw new InvalidDataException($"{source}: the scale {scale:R} of '{name}' is not a normal float32 ≥ {MinScale:G} (threshold ≥ {MinScale * 127:G}).");
        }

        if (!double.IsFinite(threshold) || threshold < MinThreshold || threshold > MaxThreshold)
        {
            throw new InvalidDataException($"{source}: the threshold {threshold:R} of '{name}' is outside [{MinThreshold:G}, {MaxThreshold:G}].");
        }
    }

    /// <summary>Throws <see cref="InvalidDataException"/> when the table is empty or an entry fails <see cref="CheckRange"/>.</summary>
    public void CheckSane(string source = "calibration table")
    {
        if (Tensors.Count == 0)
        {
            throw new InvalidDataException($"{source}: the table holds no tensor; an empty table would run every layer in FP32.");
        }

        foreach (var t in Tensors)
        {
            CheckRange(t.Name, t.Threshold, t.Scale, source);
        }
    }

    /// <summary>
    /// Throws <see cref="CalibrationTableMismatchException"/> naming every mismatch: model tensors without an entry,
    /// entries for tensors the model lacks, and a model hash that differs (checked only when both sides have one).
    /// </summary>
    public void Validate(ModelSignature model, string source = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        var expected = new HashSet<string>(model.TensorNames, StringComparer.Ordinal);
        var missing = model.TensorNames.Where(n => !_byName.ContainsKey(n)).Distinct(StringComparer.Ordinal).ToList();
        var extra = Tensors.Select(t => t.Name).Where(n => !expected.Contains(n)).ToList();
        bool hashDiffers = model.Hash is not null && ModelHash is not null && !string.Equals(model.Hash, ModelHash, StringComparison.OrdinalIgnoreCase);
        if (missing.Count > 0 || extra.Count > 0 || hashDiffers)
        {
            throw new CalibrationTableMismatchException(source, missing, extra, hashDiffers ? ModelHash : null, hashDiffers ? model.Hash : null);
        }
    }
}
