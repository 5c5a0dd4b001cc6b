namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// ONNX HardSwish (opset 14), y = x·max(0, min(1, x/6 + 1/2)) → an activation layer with
/// <see cref="Kernels.Ops.ActivationKind.HardSwish"/>: both backends' float kernels, an exact 256-entry table in INT8,
/// and fusion into the convolution before it, like every activation. Below opset 14 exporters write
/// Mul(x, HardSigmoid(x; alpha = 1/6, beta = 1/2)), which <see cref="HardSwishPattern"/> maps to the same layer.
/// </summary>
internal sealed class HardSwishMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["HardSwish"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    // HardSwish was introduced in opset 14 and has not changed since.
    public long? EarliestOpset(string opType) => 14;

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        context.AddLayer(node, new ActivationLayerSpec(OnnxActivation.HardSwish), [x], [.. x.Shape]);
    }
}

/// <summary>Mul(x, HardSigmoid(x)) with alpha = 1/6 and beta = 1/2 (torch's Hardswish below opset 14) → one HardSwish.</summary>
internal static class HardSwishPattern
{
    /// <summary>Maps the HardSigmoid <paramref name="node"/> and its Mul reader as one HardSwish when they form the pattern.</summary>
    public static bool TryMap(OnnxNode node, OnnxMapContext context) =>
        Math.Abs(node.GetFloat("alpha", 0.2f) - (1f / 6f)) < 1e-6f && node.GetFloat("beta", 0.5f) == 0.5f
        && GatedActivation.TryMap(node, context, OnnxActivation.HardSwish);
}
