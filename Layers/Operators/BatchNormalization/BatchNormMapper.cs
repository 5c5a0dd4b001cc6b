namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// BatchNormalization (inference) → a per-channel <see cref="ScaleSpec"/>:
/// y = gamma·(x − mean)/√(var + ε) + beta = x·s + (beta − mean·s) with s = gamma/√(var + ε) (computed in double).
/// </summary>
internal sealed class BatchNormMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["BatchNormalization"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [1, 2, 3, 4];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        if (x.Shape.Count < 2)
        {
            throw node.Error($"input {OnnxShapes.Format(x.Shape)} has no channel dimension.");
        }
        if (node.GetInt("training_mode", 0) != 0)
        {
            throw node.Unsupported("training_mode = 1 (batch statistics)");
        }
        if (node.Opset < 9 && node.GetInt("spatial", 1) != 1)
        {
            throw node.Unsupported("spatial = 0 (per-element statistics)");
        }
        for (int o = 1; o < node.Outputs.Count; o++)
        {
            if (node.Outputs[o].Length > 0 && (context.Graph.Consumers(node.Outputs[o]).Count > 0 || context.Graph.IsGraphOutput(node.Outputs[o])))
            {
                throw node.Unsupported($"reading the training output '{node.Outputs[o]}'");
            }
        }
        long channels = x.Shape[1];
        float[] gamma = Vector(node, context, 1, "scale", channels);
        float[] beta = Vector(node, context, 2, "B", channels);
        float[] mean = Vector(node, context, 3, "mean", channels);
        float[] variance = Vector(node, context, 4, "var", channels);
        double epsilon = node.GetFloat("epsilon", 1e-5f);
        var scale = new float[channels];
        var shift = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double s = gamma[c] / Math.Sqrt(variance[c] + epsilon);
            scale[c] = (float)s;
            shift[c] = (float)(beta[c] - (mean[c] * s));
        }
        context.AddLayer(node, new ScaleSpec(ScaleMode.PerChannel, scale, shift), [x], [.. x.Shape]);
    }

    private static float[] Vector(OnnxNode node, OnnxMapContext context, int i, string what, long channels)
    {
        var t = context.Constant(node, i, what).Tensor;
        return t.ElementCount == channels ? t.ToFloatArray()
            : throw node.Error($"{what} '{t.Name}' has {t.ElementCount} values; {channels} channels need as many.");
    }
}
