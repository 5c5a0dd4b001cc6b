using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Inserts quantize / dequantize / round-to-half steps where a step reads a tensor in another precision (INT8 steps read
/// int8, FP32 steps float, FP16 steps half values, softmax INT8 reads int8 and writes float). A network input is stored
/// int8 (quantized on the way in) when every reader wants int8. A constant read as int8 becomes an int8 constant
/// (quantized once when the engine is made); one read by an FP16 step, a constant of its values rounded to half.
/// FP16 values are float words holding halves: an FP16 step's output is one, and FP32 steps read it as it is (every
/// half is a float); an FP16 step reading a float tensor gets a rounded copy (<see cref="ConvertKind.ToHalf"/>), one
/// reading an int8 tensor a dequantized then rounded one. One conversion per tensor and precision, placed before its
/// first reader. Checks that a constant feeds only the second operand of an element-wise step.
/// </summary>
internal static class ConvertPass
{
    /// <summary>Inserts the conversions; a tensor's precision here is int8, <see cref="DataType.Half"/> (half values in float words) or float.</summary>
    public static void Run(Plan plan)
    {
        foreach (var id in plan.Inputs)
        {
            var readers = plan.Consumers(id).ToList();
            if (readers.Count > 0 && readers.TrueForAll(n => n.Int8) && plan.Tensors[id].Threshold is not null)
            {
                plan.Tensors[id].Type = DataType.Int8;
            }
        }

        // Tensors holding half values: FP16 steps' outputs and the rounded copies made here.
        var half = new HashSet<int>(plan.Nodes.Where(n => n.Half).Select(n => n.Output));
        var converted = new Dictionary<(int, DataType), int>();
        for (var i = 0; i < plan.Nodes.Count; i++)
        {
            var node = plan.Nodes[i];
            for (var j = 0; j < node.Inputs.Count; j++)
            {
                var t = plan.Tensors[node.Inputs[j]];
                if (t.Constant is not null && !node.Layer.AcceptsConstantInput(j))
                {
                    throw new NetworkException(node.Name, $"constant input '{t.Name}' is only supported as the second operand of an element-wise layer.");
                }

                var want = node.Int8 ? DataType.Int8 : node.Half ? DataType.Half : DataType.Float;
                var have = t.Type == DataType.Int8 ? DataType.Int8 : half.Contains(t.Id) ? DataType.Half : DataType.Float;
                if (have == want || (want == DataType.Float && have == DataType.Half))
                {
                    continue;
                }

                if (want == DataType.Half && have == DataType.Int8)
                {
                    t = plan.Tensors[Converted(plan, t, DataType.Float, converted, ref i)];
                }

                var id = Converted(plan, t, want, converted, ref i);
                if (want == DataType.Half)
                {
                    half.Add(id);
                }

                node.Inputs[j] = id;
            }
        }

        plan.Compact();
    }

    /// <summary>The id of <paramref name="t"/> in precision <paramref name="want"/>: made once, the convert step inserted at <paramref name="i"/>.</summary>
    private static int Converted(Plan plan, PlanTensor t, DataType want, Dictionary<(int, DataType), int> converted, ref int i)
    {
        if (converted.TryGetValue((t.Id, want), out var cid))
        {
            return cid;
        }

        var suffix = want switch { DataType.Int8 => "_int8", DataType.Half => "_fp16", _ => "_float" };
        var c = plan.Add(t.Name + suffix, t.Dims);
        c.Type = want == DataType.Int8 ? DataType.Int8 : DataType.Float;
        c.Threshold = t.Threshold;
        if (t.Constant is not null)
        {
            c.Constant = want == DataType.Half ? HalfConvert.Round(t.Constant) : t.Constant;
        }
        else
        {
            var kind = want switch { DataType.Int8 => ConvertKind.Quantize, DataType.Half => ConvertKind.ToHalf, _ => ConvertKind.Dequantize };
            var convert = new PlanNode(new ConvertLayer(c.Name, kind), [t.Id], c.Id, []) { Int8 = want == DataType.Int8 };
            plan.Nodes.Insert(i, convert);
            i++;
        }

        converted[(t.Id, want)] = c.Id;
        return c.Id;
    }
}
