namespace ILGPUInt8.Calibration.Tables;

/// <summary>A calibration table does not belong to the model: tensor names missing or extra, or the model hash differs.</summary>
public sealed class CalibrationTableMismatchException : Exception
{
    /// <summary>Creates the exception; the message names every kind of mismatch (up to 10 names of each).</summary>
    public CalibrationTableMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> extra, string? tableHash, string? modelHash)
        : base(Describe(source, missing, extra, tableHash, modelHash))
    {
        Missing = missing;
        Extra = extra;
        TableHash = tableHash;
        ModelHash = modelHash;
    }

    /// <summary>Tensors of the model the table has no entry for.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Entries of the table the model has no tensor for.</summary>
    public IReadOnlyList<string> Extra { get; }

    /// <summary>The table's model hash when it differs from the model's, else null.</summary>
    public string? TableHash { get; }

    /// <summary>The model's hash when it differs from the table's, else null.</summary>
    public string? ModelHash { get; }

    private static string Describe(string source, IReadOnlyList<string> missing, IReadOnlyList<string> extra, string? tableHash, string? modelHash)
    {
        var parts = new List<string>();
        if (tableHash is not null || modelHash is not null)
        {
            parts.Add($"model hash differs (table {tableHash}, model {modelHash})");
        }

        if (missing.Count > 0)
        {
            parts.Add($"{missing.Count} tensor(s) missing from the table: {List(missing)}");
        }

        if (extra.Count > 0)
        {
            parts.Add($"{extra.Count} tensor(s) in the table but not in the model: {List(extra)}");
        }

        return $"Calibration table {source} does not match the model: {string.Join("; ", parts)}.";
    }

    private static string List(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(10).Select(n => $"'{n}'")) + (names.Count > 10 ? $", … ({names.Count - 10} more)" : string.Empty);
}
