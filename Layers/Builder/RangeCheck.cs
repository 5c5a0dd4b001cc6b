using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// With a calibration table, every tensor an INT8-capable step reads or writes must have a range: the table lacking one
/// would silently run those steps in FP32. Each missing tensor is an error naming it and its step, unless it is in
/// <see cref="BuilderConfig.AllowMissingRanges"/> (then the steps around it run FP32, as asked). Steps forced to FP32 or FP16 and
/// layer types without an INT8 kernel need no range.
/// </summary>
internal static class RangeCheck
{
    public static void Run(Plan plan, BuilderConfig config)
    {
        if (config.CalibrationTable is null)
        {
            return;
        }

        var missing = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in plan.Nodes)
        {
            if (config.Request(node.Layer) is LayerPrecision.Float or LayerPrecision.Half || node.Layer.Int8LimitIn(config.IntegerOnly) is not null)
            {
                continue;
            }

            var needed = node.Inputs.Select(id => plan.Tensors[id]).Where(t => t.Constant is null).ToList();
            if (!node.Layer.Int8KeepsInputScale && !node.Layer.Int8OutputIsFloat)
            {
                needed.Add(plan.Tensors[node.Output]);
            }

            foreach (var t in needed.Where(t => t.Threshold is null && !config.AllowMissingRanges.Contains(t.Name)))
            {
                missing.TryAdd(t.Name, node.Name);
            }
        }

        if (missing.Count > 0)
        {
            var list = string.Join(", ", missing.Take(10).Select(kv => $"'{kv.Key}' (step {kv.Value})")) + (missing.Count > 10 ? $", … ({missing.Count - 10} more)" : string.Empty);
            throw new InvalidDataException(
                $"The calibration table has no range for {missing.Count} tensor(s) the INT8 engine needs: {list}. Calibrate this model, or allow FP32 for them by name (--allow-missing NAME...).");
        }
    }
}
