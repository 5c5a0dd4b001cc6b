namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>
/// The scalar FP32 reference interpreter of an <see cref="ImportedNetwork"/>: each layer spec computed with plain
/// loops (double accumulation) exactly as its documentation states, by its spec's evaluator
/// (<see cref="OnnxEvaluator{TSpec}"/>, in its operator's folder). It is the oracle for the ONNX node
/// conformance tests and for the engine's imported networks; it is meant to be obviously right, not fast.
/// </summary>
internal static class OnnxReference
{
    /// <summary>Runs the network on inputs given by name; returns every network output by name.</summary>
    /// <param name="network">The imported network.</param>
    /// <param name="inputs">One tensor per network input; all share the batch size (dimension 0).</param>
    /// <param name="simulateRanges">
    /// Fake-quantize every tensor that has a dynamic range T as symmetric int8 right after it is computed:
    /// x ← clamp(round_half_even(x / s), −127, 127) · s with s = T / 127 (what a QDQ model computes, up to its
    /// −128 level).
    /// </param>
    public static IReadOnlyDictionary<string, ReferenceTensor> Run(ImportedNetwork network, IReadOnlyDictionary<string, ReferenceTensor> inputs,
        bool simulateRanges = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new ReferenceTensor?[network.Tensors.Count];
        long? batch = null;
        foreach (var input in network.Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var t))
            {
                throw new ArgumentException($"Input '{input.Name}' is missing.", nameof(inputs));
            }
            batch ??= t.Shape.Length > 0 ? t.Shape[0] : 1;
            long[] expected = input.WithBatch(batch.Value);
            if (!t.Shape.SequenceEqual(expected) || t.Data.LongLength != OnnxShapes.Product(t.Shape))
            {
                throw new ArgumentException($"Input '{input.Name}' has shape {OnnxShapes.Format(t.Shape)}; {OnnxShapes.Format(expected)} is expected.", nameof(inputs));
            }
            values[input.Id] = simulateRanges ? FakeQuantize(network, input, t) : t;
        }
        foreach (var layer in network.Layers)
        {
            var args = layer.Inputs.Select(i => values[i.Id] ?? throw new InvalidOperationException($"Tensor {i} is used before it is computed.")).ToArray();
            long[] shape = layer.Output.WithBatch(batch ?? 1);
            var result = Compute(layer.Spec, args, shape);
            if (!result.Shape.SequenceEqual(shape))
            {
                throw new InvalidOperationException($"Layer {layer} computed shape {OnnxShapes.Format(result.Shape)}, not {OnnxShapes.Format(shape)}.");
            }
            values[layer.Output.Id] = simulateRanges ? FakeQuantize(network, layer.Output, result) : result;
        }
        return network.Outputs.ToDictionary(o => o.Name, o => values[o.Id]!);
    }

    private static ReferenceTensor FakeQuantize(ImportedNetwork network, ImportedTensor tensor, ReferenceTensor x)
    {
        if (!network.DynamicRanges.TryGetValue(tensor.Name, out float threshold))
        {
            return x;
        }
        float s = threshold / 127f;
        return Map(x, v => (float)(Math.Clamp(Math.Round(v / s, MidpointRounding.ToEven), -127, 127) * s));
    }

    private static ReferenceTensor Compute(LayerSpec spec, ReferenceTensor[] x, long[] shape) => OnnxEvaluator.For(spec).Evaluate(spec, x, shape);

    private static ReferenceTensor Map(ReferenceTensor x, Func<float, float> f) => new(x.Shape, [.. x.Data.Select(f)]);
}
