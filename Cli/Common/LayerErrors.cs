using ILGPUInt8.Calibration.Reports;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Per-tensor INT8 error: the FP32 and the INT8 engine run the same held-out batches, every tensor both compute (same
/// name) goes into the report: SQNR = 20·log10(‖x‖ / ‖x − x̂‖) dB, cosine, max |error|.
/// </summary>
public static class LayerErrors
{
    /// <summary>Adds the comparisons of the first <paramref name="count"/> images (in batches) to <paramref name="report"/>.</summary>
    public static void Compare(Engine fp32, Engine int8, LabelledImages images, int count, int batchSize, CalibrationReport report)
    {
        ArgumentNullException.ThrowIfNull(fp32);
        ArgumentNullException.ThrowIfNull(int8);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(report);
        var input = fp32.Inputs[0].Name;
        batchSize = Math.Min(batchSize, Math.Min(fp32.MaxBatchSize, int8.MaxBatchSize));
        using var a = fp32.CreateExecutionContext();
        using var b = int8.CreateExecutionContext();
        count = Math.Min(count, images.Count);
        for (var first = 0; first < count; first += batchSize)
        {
            var n = Math.Min(batchSize, count - first);
            var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal) { [input] = images.Batch(first, n) };
            var reference = new Dictionary<string, CapturedTensor>(StringComparer.Ordinal);
            foreach (var t in a.RunAndCapture(inputs, n))
            {
                reference[t.Name] = t;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in b.RunAndCapture(inputs, n))
            {
                if (seen.Add(t.Name) && reference.TryGetValue(t.Name, out var r) && r.Values.Length == t.Values.Length)
                {
                    report.AddComparison(t.Name, r.Values, t.Values);
                }
            }
        }
    }
}
