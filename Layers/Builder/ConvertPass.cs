using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Inserts quantize / dequantize steps where a step reads a tensor in the other precision (INT8 steps read int8, FP32
/// steps float, softmax INT8 reads int8 and writes float). A network input is stored int8 (quantized on the way in) when
/// every reader wants int8. A constant read as int8 becomes an int8 constant (quantized once when the engine is made).
/// One conversion per tensor and precision, placed before its first reader. Checks that a constant feeds only the second
/// operand of an element-wise step.
/// </summary>
internal static class ConvertPass
{
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

                var want = node.Int8 ? DataType.Int8 : DataType.Float;
                if (t.Type == want)
                {
                    continue;
                }

                if (!converted.TryGetValue((t.Id, want), out var cid))
                {
                    var c = plan.Add($"{t.Name}{(want == DataType.Int8 ? "_int8" : "_float")}", t.Dims);
                    c.Type = want;
                    c.Threshold = t.Threshold;
                    cid = c.Id;
                    if (t.Constant is not null)
                    {
                        c.Constant = t.Constant;
                    }
                    else
                    {
                        var convert = new PlanNode(new ConvertLayer(c.Name, want == DataType.Int8), [t.Id], c.Id, []) { Int8 = want == DataType.Int8 };
                        plan.Nodes.Insert(i, convert);
                        i++;
                    }

                    converted[(t.Id, want)] = cid;
                }

                node.Inputs[j] = cid;
            }
        }

        plan.Compact();
    }
}
