using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Reference;

/// <summary>
/// The reference pipeline: a plan interpreted on the host, layer by layer, with the scalar references of
/// Int8Kernels/Reference over NCHW arrays — FP32 nodes in float, FP16 nodes in float on their half inputs and weights
/// with the output rounded to half, INT8 nodes with the same int8 parameters (<see cref="Int8Parameters"/>) and formulas
/// as the kernels. An INT8 engine must equal it bit for bit; an FP32 engine within float tolerance; an FP16 engine within
/// a half ulp per step (the accumulation order of a backend's GEMM may differ from the reference's in the last float bits,
/// which the rounding to half can turn into one half ulp). Each layer class has its evaluator (<see cref="PlanEvaluator{TLayer}"/>) in its operator's
/// folder.
/// </summary>
internal static class PlanReference
{
    /// <summary>Runs the plan on NCHW float inputs; returns every tensor's value (float[] or sbyte[], NCHW, batch n).</summary>
    public static Dictionary<int, Array> Run(Plan plan, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        var values = new Dictionary<int, Array>();
        foreach (var id in plan.Inputs)
        {
            var t = plan.Tensors[id];
            var x = inputs[t.Name];
            // An int8 input is quantized, a half one rounded ((Half) cast: round-to-nearest-even) as it comes in.
            values[id] = t.Type == DataType.Int8 ? QuantizationReference.Quantize(x, [t.Scale], x.Length)
                : t.Type == DataType.Half ? x.Select(v => (float)(Half)v).ToArray()
                : x;
        }

        Array Get(int id)
        {
            if (values.TryGetValue(id, out var v))
            {
                return v;
            }

            var t = plan.Tensors[id];
            var c = t.Constant ?? throw new InvalidOperationException($"Tensor '{t.Name}' has no value yet.");
            return values[id] = t.Type == DataType.Int8 ? QuantizationReference.Quantize(c, [t.Scale], c.Length) : c;
        }

        foreach (var node in plan.Nodes)
        {
            values[node.Output] = Evaluate(plan, node, Get, n);

            // An FP16 step stores halves: .NET's (Half) cast, round-to-nearest-even (the engine's rounding is HalfConvert's).
            if (node.Half && values[node.Output] is float[] y)
            {
                values[node.Output] = y.Select(v => (float)(Half)v).ToArray();
            }
        }

        return values;
    }

    /// <summary>The plan's outputs as NCHW floats (int8 outputs dequantized) by name.</summary>
    public static Dictionary<string, float[]> Outputs(Plan plan, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        var values = Run(plan, inputs, n);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var id in plan.Outputs)
        {
            var t = plan.Tensors[id];
            result[t.Name] = values[id] is sbyte[] q ? QuantizationReference.Dequantize(q, [t.Scale], q.Length) : (float[])values[id];
        }

        return result;
    }

    private static Array Evaluate(Plan plan, PlanNode node, Func<int, Array> get, int n) =>
        PlanEvaluator.For(node).Evaluate(new PlanEvaluation(plan, node, get, n));
}

/// <summary>The FP32 layer-by-layer reference of a network: every layer as written (no folding or fusion), NCHW, on the host.</summary>
internal static class NetworkReference
{
    /// <summary>The network's outputs by name for NCHW float inputs of batch <paramref name="n"/>.</summary>
    public static Dictionary<string, float[]> Run(NetworkDefinition network, IReadOnlyDictionary<string, float[]> inputs, int n) =>
        PlanReference.Outputs(GraphLowering.Translate(network, n), inputs, n);
}
