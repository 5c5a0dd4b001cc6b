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

    /// <summary>Creates a table; tensor names must be unique.</summary>
    public CalibrationTable(string method, IEnumerable<TensorCalibration> tensors, string? modelHash = null, string? dataHash = null)
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
    }

    /// <summary>The method that chose the thresholds (entries may name their own).</summary>
    public string Method { get; }

    /// <summary>Entries in the order they were produced.</summary>
    public IReadOnlyList<TensorCalibration> Tensors { get; }

    /// <summary>Hash of the model the table was made for, or null (TensorRT caches carry none).</summary>
    public string? ModelHash { get; }

    /// <summary>Order-independent hash of the calibration data (<see cref="Hashing.DataHash"/>), or null.</summary>
    public string? DataHash { get; }

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
        foreach (var (name, scale) in cache.Scales)
        {
            if (!float.IsFinite(scale) || scale <= 0f)
            {
                throw new InvalidDataException($"{source}: the scale {scale} of '{name}' must be finite and > 0.");
            }

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
