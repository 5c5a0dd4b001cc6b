using System.Text;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Calibration.Tables;

namespace ILGPUInt8.Tests.Writer;

/// <summary>
/// The files the kill test watches, in two versions (0 and 1) whose bytes are known in advance: a calibration table pair
/// (TensorRT cache + JSON), a .npy tensor of 256 KiB and a text report of about 200 KiB, all written the way the tools
/// write them (<see cref="CalibrationTablePair"/>, <see cref="NpyFile"/>, <see cref="AtomicFile"/>).
/// </summary>
public static class KillTestFiles
{
    /// <summary>The table pair's cache path in <paramref name="folder"/> (the JSON is beside it, <c>.json</c> added).</summary>
    public static string Table(string folder) => Path.Combine(folder, "table.cache");

    /// <summary>The .npy path.</summary>
    public static string Npy(string folder) => Path.Combine(folder, "tensor.npy");

    /// <summary>The report path.</summary>
    public static string Report(string folder) => Path.Combine(folder, "report.txt");

    /// <summary>Version <paramref name="v"/> of the table: 64 tensors, thresholds (1 + i) · (v + 1) / 8.</summary>
    public static CalibrationTable TableVersion(int v) =>
        new("entropy", Enumerable.Range(0, 64).Select(i =>
        {
            var t = (1 + i) * (v + 1) / 8.0;
            return new TensorCalibration($"tensor_{i}", "entropy", t, (float)(t / 127), t * 1.25, 2048, 4, 10_000);
        }), $"model-{v}", $"data-{v}");

    /// <summary>Version <paramref name="v"/> of the tensor: 65 536 floats.</summary>
    public static NpyArray NpyVersion(int v) => new([.. Enumerable.Range(0, 1 << 16).Select(i => (i * 0.5f) + v)], 256, 256);

    /// <summary>Version <paramref name="v"/> of the report text.</summary>
    public static string ReportVersion(int v)
    {
        var text = new StringBuilder();
        for (var i = 0; i < 4096; i++)
        {
            text.Append("version ").Append(v).Append(", line ").Append(i).Append(": the quick brown fox.\n");
        }

        return text.ToString();
    }

    /// <summary>Writes every file in version <paramref name="v"/>.</summary>
    public static void Write(string folder, int v)
    {
        CalibrationTablePair.Write(TableVersion(v), Table(folder));
        NpyFile.Write(Npy(folder), NpyVersion(v));
        AtomicFile.WriteAllText(Report(folder), ReportVersion(v));
    }
}
