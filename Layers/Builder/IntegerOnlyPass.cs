using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// The check of an integer-only build (<see cref="BuilderConfig.IntegerOnly"/>), after the conversions are placed: the
/// integer forms themselves are chosen by the steps from <see cref="Plan.IntegerOnly"/> (Q31 requantize epilogues,
/// integer-built tables) and by <see cref="PrecisionPass"/> (softmax writes int8 at T = 1). What may remain in float is
/// only the engine's boundary: a quantize that reads a network input, and the dequantize of outputs in the output
/// conversion. Any other step that computes with float fails the build, naming every such layer and why:
/// <list type="bullet">
/// <item>an FP32 step (no INT8 kernel, no range, FP32 requested) or a dequantize inside the network;</item>
/// <item>an INT8 step whose layer has no integer-only form (<see cref="Layer.IntegerOnlyLimit"/>);</item>
/// <item>an INT8 step that writes float (a float output layer that is not the final dequantize).</item>
/// </list>
/// </summary>
internal static class IntegerOnlyPass
{
    public static void Run(Plan plan)
    {
        var problems = new List<(string Layer, string Why)>();
        foreach (var node in plan.Nodes.Where(n => n.Layer is not ConvertLayer))
        {
            var why = FloatReason(plan, node);
            if (why is not null)
            {
                problems.Add((node.Name, why));
            }
        }

        foreach (var node in plan.Nodes.Where(n => n.Layer is ConvertLayer))
        {
            if (!node.Int8)
            {
                problems.Add((node.Name, "dequantizes to float inside the network"));
            }
            else if (!plan.Inputs.Contains(node.Inputs[0]))
            {
                problems.Add((node.Name, "quantizes a float tensor computed inside the network"));
            }
        }

        if (problems.Count > 0)
        {
            var list = string.Join("; ", problems.Select(p => $"'{p.Layer}' {p.Why}"));
            throw new NetworkException(
                problems[0].Layer,
                $"the integer-only build found {problems.Count} step(s) that compute with float: {list}. Give them INT8 ranges, or build without integer-only.");
        }
    }

    private static string? FloatReason(Plan plan, PlanNode node)
    {
        if (!node.Int8)
        {
            return $"runs in FP32 ({PrecisionPass.Missing(plan, node) ?? "FP32 requested or INT8 not enabled"})";
        }

        if (node.Layer.IntegerOnlyLimit is { } limit)
        {
            return $"has no integer-only form: {limit}";
        }

        if (plan.Tensors[node.Output].Type != DataType.Int8)
        {
            return "writes a float output";
        }

        return null;
    }
}
