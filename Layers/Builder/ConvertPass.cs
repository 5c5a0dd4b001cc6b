using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Inserts quantize / dequantize / half conversions where a step reads a tensor in another precision (INT8 steps read
/// int8, FP32 steps float, FP16 steps halves, softmax INT8 reads int8 and writes float). A network input is stored int8
/// (quantized on the way in) when every reader wants int8, as halves (rounded on the way in) when every reader is FP16.
/// An FP16 step's output is stored as 2-byte halves (<see cref="DataType.Half"/>), except an engine output: float words
/// holding the halves (the engine hands out floats). An FP16 step reading a float tensor gets a copy rounded to halves
/// (<see cref="ConvertKind.ToHalf"/>), one reading int8 a copy dequantized to halves (one pass, h = half(q · s)); an
/// FP32 step reading halves gets them widened (<see cref="ConvertKind.FromHalf"/>, exact), an INT8 step quantized from
/// the halves (one pass). A constant read as int8 becomes an int8 constant (quantized once when the engine is made);
/// one read by an FP16 step, a float constant of its values rounded to half. One conversion per tensor and precision,
/// placed before its first reader. Checks that a constant feeds only the second operand of an element-wise step.
/// </summary>
internal static class ConvertPass
{
    /// <summary>Inserts the conversions and gives every FP16 step's output its storage.</summary>
    public static void Run(Plan plan)
    {
        foreach (var id in plan.Inputs)
        {
            var readers = plan.Consumers(id).ToList();
            if (readers.Count > 0 && readers.TrueForAll(n => n.Int8) && plan.Tensors[id].Threshold is not null)
            {
                plan.Tensors[id].Type = DataType.Int8;
            }
            else if (readers.Count > 0 && readers.TrueForAll(n => n.Half))
            {
                plan.Tensors[id].Type = DataType.Half;
            }
        }

        var outputs = plan.Outputs.ToHashSet();
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
                if (t.Type == want)
                {
                    continue;
                }

                node.Inputs[j] = Converted(plan, t, want, converted, ref i);
            }

            if (node.Half)
            {
                plan.Tensors[node.Output].Type = outputs.Contains(node.Output) ? DataType.Float : DataType.Half;
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
        c.Threshold = t.Threshold;
        if (t.Constant is not null)
        {
            // Constants stay float words (or int8): a half constant holds the rounded values.
            c.Type = want == DataType.Int8 ? DataType.Int8 : DataType.Float;
            c.Constant = want == DataType.Half ? HalfConvert.Round(t.Constant) : t.Constant;
        }
        else
        {
            c.Type = want;
            // Int8 ↔ half in one pass: a quantize of halves, a dequantize to halves (the bits of the way through float).
            var kind = (t.Type, want) switch
            {
                (_, DataType.Int8) => ConvertKind.Quantize,
                (DataType.Int8, _) => ConvertKind.Dequantize,
                (_, DataType.Half) => ConvertKind.ToHalf,
                _ => ConvertKind.FromHalf,
            };
            var convert = new PlanNode(new ConvertLayer(c.Name, kind), [t.Id], c.Id, []) { Int8 = want == DataType.Int8 };
            plan.Nodes.Insert(i, convert);
            i++;
        }

        converted[(t.Id, want)] = c.Id;
        return c.Id;
    }
}
