namespace ILGPUInt8.Calibration.Tables;

/// <summary>A calibration table does not belong to the model: tensor names missing or extra, or the model hash differs.</summary>
public sealed class CalibrationTableMismatchException : Exception
{
    /// <summary>
    /// Creates the exception; the message names every kind of mismatch (up to 10 names of each), e.g.
    /// "The calibration table t.json does not match the model: missing relu1; not in the model conv1:out.".
    /// </summary>
    public CalibrationTableMismatchException(string? source, IReadOnlyList<string> missing, IReadOnlyList<string> extra, string? tableHash = null, string? modelHash = null)
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

    private static string Describe(string? source, IReadOnlyList<string> missing, IReadOnlyList<string> extra, string? tableHash, string? modelHash)
    {
        var parts = new List<string>();
        if (missing.Count > 0)
        {
            parts.Add($"missing {List(missing)}");
        }

        if (extra.Count > 0)
        {
            parts.Add($"not in the model {List(extra)}");
        }

        if (tableHash is not null || modelHash is not null)
        {
            parts.Add($"model hash differs (table {tableHash}, model {modelHash})");
        }

        string where = string.IsNullOrEmpty(source) ? string.Empty : " " + source;
        return $"The calibration table{where} does not match the model: {string.Join("; ", parts)}.";
    }

    private static string List(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(10)) + (names.Count > 10 ? $", … ({names.Count - 10} more)" : string.Empty);
}
