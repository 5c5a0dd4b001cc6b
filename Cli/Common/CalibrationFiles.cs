using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Layers.Builder;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Calibration tables on disk: TensorRT's cache text (<c>name: hex scale</c>) and our JSON (method, amax, threshold,
/// hashes of model and data). Writing a table writes both: <c>X.json</c> gets the cache beside it as <c>X.cache</c>,
/// any other name gets the cache itself and the JSON as <c>X.json</c> beside it.
/// </summary>
public static class CalibrationFiles
{
    /// <summary>The method called <paramref name="name"/>.</summary>
    public static ICalibrationMethod Method(string name, double percentile = 99.99) =>
        CalibrationMethods.Names.Contains(name.ToLowerInvariant())
            ? CalibrationMethods.Create(name, percentile)
            : throw new CliUsageException($"--method must be entropy, minmax, percentile or mse, not '{name}'.");

    /// <summary>Writes the table in both formats, atomically and as one pair (<see cref="CalibrationTablePair"/>); returns (cache path, JSON path).</summary>
    public static (string Cache, string Json) Write(CalibrationTable table, string path) => CalibrationTablePair.Write(table, path);

    /// <summary>
    /// Reads thresholds (name → T) from a JSON table or a TensorRT cache and checks them against the model: every name
    /// must be a tensor of the network, and a JSON table's model hash must match the file's.
    /// </summary>
    public static IReadOnlyDictionary<string, float> ReadThresholds(string path, ModelFile model) => ReadTable(path, model).ToThresholds();

    /// <summary>The table itself (a cache beside its JSON must be that JSON's: <see cref="CalibrationTablePair.Read"/>), checked as in <see cref="ReadThresholds"/>.</summary>
    public static CalibrationTable ReadTable(string path, ModelFile model)
    {
        ArgumentNullException.ThrowIfNull(model);
        CalibrationTable table;
        try
        {
            table = CalibrationTablePair.Read(path);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"'{path}' is not a calibration table (TensorRT cache text or our JSON): {ex.Message}", ex);
        }

        // Names the network knows; the table may cover fewer (tensors folded away or left in FP32).
        var known = table.Tensors.Select(t => t.Name).Where(n => model.Network.FindTensor(n) is not null).ToList();
        var hash = string.IsNullOrEmpty(model.Sha256) ? null : model.Sha256;
        table.Validate(new ModelSignature(hash, known), path);
        return table;
    }
}
