namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// ReduceMean over every spatial dimension of [N, C, H, W] or [N, C, L] (torch's x.mean([2, 3]), ShuffleNet's head) →
/// global average pooling (<see cref="PoolingSpec"/>, INT8 like every average pooling), then a view to [N, C] when
/// keepdims = 0. Axes are an attribute before opset 18 and an optional constant input from 18. Other axes are refused.
/// </summary>
internal sealed class ReduceMeanMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["ReduceMean"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [1];

    // Opset 1's definition (axes attribute, keepdims) holds to 13; 18 moves axes to an input (both read here).
    public long? EarliestOpset(string opType) => 1;

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        int rank = x.Shape.Count;
        long[]? raw = node.Opset < 18 ? node.GetInts("axes")
            : context.OptionalConstant(node, 1, "the axes") is { } c ? (c.Tensor.IsFloat ? throw node.Error("axes must be integers.") : c.Tensor.ToInt64Array()) : null;
        var axes = (raw ?? [.. Enumerable.Range(0, rank).Select(i => (long)i)]).Select(a => OnnxShapes.Axis(node, a, rank)).Distinct().Order().ToArray();
        bool keep = node.GetInt("keepdims", 1) != 0;
        if (rank is not (3 or 4) || !axes.SequenceEqual(Enumerable.Range(2, rank - 2)))
        {
            throw node.Unsupported($"ReduceMean over axes [{string.Join(", ", axes)}] of {OnnxShapes.Format(x.Shape)} (the engine averages the spatial dimensions of NCHW or NCL)");
        }

        var (h, w) = SpatialAttributes.Plane(x.Shape);
        var pool = new PoolingSpec(false, ((int)h, (int)w), (1, 1), (0, 0, 0, 0), false, false, true);
        var pooledShape = SpatialAttributes.OutputShape(x.Shape, x.Shape[1], 1, 1);
        if (keep)
        {
            context.AddLayer(node, pool, [x], pooledShape);
            return;
        }

        var pooled = context.AddLayer(node, pool, [x], pooledShape, context.InternalName(node, "mean"));
        context.AddLayer(node, new ReshapeSpec(), [pooled], [x.Shape[0], x.Shape[1]]);
    }
}
