using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// ReduceMean over every spatial dimension of [N, C, H, W] or [N, C, L] (torch's x.mean([2, 3]), ShuffleNet's head) →
/// global average pooling (<see cref="PoolingSpec"/>, INT8 like every average pooling), then a view to [N, C] when
/// keepdims = 0. Any other set of axes other than the batch → one <see cref="ReduceMeanSpec"/> per run of consecutive
/// axes (a mean of equal-sized means is the mean), then a view dropping them when keepdims = 0; the batch axis needs the
/// tensors taken whole (<see cref="OnnxImportOptions.UnitBatch"/>). Axes are an attribute before opset 18 and an
/// optional constant input from 18.
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
        if (rank is not (3 or 4) || !axes.SequenceEqual(Enumerable.Range(2, rank - 2)) || context.UnitBatch)
        {
            General(node, context, x, axes, keep);
            return;
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

    private static void General(OnnxNode node, OnnxMapContext context, ImportedTensor x, int[] axes, bool keep)
    {
        if (axes.Contains(0) && !context.UnitBatch)
        {
            throw node.Unsupported($"ReduceMean over axes [{string.Join(", ", axes)}] of {OnnxShapes.Format(x.Shape)} averages across the batch dimension");
        }

        // Runs of consecutive axes, each averaged with keepdims (the indices of the others stay).
        var current = x;
        var shape = x.Shape.ToArray();
        int runs = 0;
        for (int i = 0; i < axes.Length;)
        {
            int j = i;
            while (j + 1 < axes.Length && axes[j + 1] == axes[j] + 1)
            {
                j++;
            }

            for (int a = axes[i]; a <= axes[j]; a++)
            {
                shape[a] = 1;
            }

            runs++;
            bool last = j + 1 == axes.Length && keep;
            var spec = new ReduceMeanSpec(axes[i], j - i + 1);
            current = last ? context.AddLayer(node, spec, [current], [.. shape])
                : context.AddLayer(node, spec, [current], [.. shape], context.InternalName(node, $"mean{runs}"));
            i = j + 1;
        }

        if (!keep)
        {
            context.AddLayer(node, new ReshapeSpec(), [current], [.. shape.Where((_, d) => !axes.Contains(d))]);
        }
    }
}

/// <summary>The mean over the consecutive ONNX dimensions [First, First + Count) (never the batch), kept as size 1.</summary>
/// <param name="First">The first dimension averaged (≥ 1).</param>
/// <param name="Count">How many consecutive dimensions.</param>
internal sealed record ReduceMeanSpec(int First, int Count) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "ReduceMean";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.ReduceMean(this, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this with { First = First + 1 };
}
