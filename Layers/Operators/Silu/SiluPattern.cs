namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// SiLU / Swish as ONNX exporters write it, Mul(x, Sigmoid(x)) (torch's nn.SiLU at opsets 13 to 17): one
/// <see cref="ActivationLayerSpec"/> with <see cref="OnnxActivation.Silu"/>, y = x / (1 + e^−x), named as the Mul's
/// output. One activation instead of a sigmoid and a product of two run-time tensors: in INT8 it is one exact 256-entry
/// table (and fuses into the convolution before it), where the product of two tensors would run in float.
/// </summary>
internal static class SiluPattern
{
    /// <summary>Maps the Sigmoid <paramref name="sigmoid"/> and its Mul reader as one SiLU when they form the pattern.</summary>
    public static bool TryMap(OnnxNode sigmoid, OnnxMapContext context) =>
        GatedActivation.TryMap(sigmoid, context, OnnxActivation.Silu);
}

/// <summary>
/// The gate pattern y = x·g(x): a node g reading x whose only reader is a Mul of g's output and x itself (either order);
/// both become one activation named as the Mul's output, and the Mul is marked handled.
/// </summary>
internal static class GatedActivation
{
    /// <summary>Adds the fused activation and returns true when <paramref name="gate"/> and its reader form x·g(x).</summary>
    public static bool TryMap(OnnxNode gate, OnnxMapContext context, OnnxActivation function)
    {
        if (gate.Inputs.Count < 1 || gate.Outputs.Count < 1 || gate.Outputs[0].Length == 0 || !context.HasSingleConsumer(gate.Outputs[0]))
        {
            return false;
        }

        string x = gate.Input(0), s = gate.Outputs[0];
        var mul = context.Graph.Consumers(s)[0];
        if (mul.OpType != "Mul" || !mul.IsDefaultDomain || mul.Inputs.Count != 2 || mul.Outputs.Count < 1
            || !((mul.Inputs[0] == s && mul.Inputs[1] == x) || (mul.Inputs[0] == x && mul.Inputs[1] == s))
            || context.Value(gate, 0) is not RuntimeValue input)
        {
            return false;
        }

        context.AddLayer(mul, new ActivationLayerSpec(function), [input.Tensor], [.. input.Tensor.Shape]);
        context.MarkHandled(mul);
        return true;
    }
}
