using System.Collections.Frozen;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Reference;

/// <summary>
/// The reference of one layer class on a plan node (NCHW host arrays: float[] for FP32 nodes, sbyte[] for INT8 ones).
/// Each operator folder holds its own evaluator (a subclass of <see cref="PlanEvaluator{TLayer}"/>);
/// <see cref="PlanReference"/> finds them once by reflection, keyed by the layer class, instead of switching over types.
/// </summary>
internal abstract class PlanEvaluator
{
    private static readonly FrozenDictionary<Type, PlanEvaluator> ByLayer = Discover();

    /// <summary>The layer class this evaluator computes.</summary>
    public abstract Type LayerClass { get; }

    /// <summary>The node's output value (batch <see cref="PlanEvaluation.N"/>, NCHW).</summary>
    public abstract Array Evaluate(PlanEvaluation e);

    /// <summary>The evaluator of a node's layer; a layer class without one is a <see cref="NotSupportedException"/>.</summary>
    public static PlanEvaluator For(PlanNode node) =>
        ByLayer.GetValueOrDefault(node.Layer.GetType()) ?? throw new NotSupportedException($"No reference for layer type {node.Layer.Type}.");

    private static FrozenDictionary<Type, PlanEvaluator> Discover()
    {
        var byLayer = new Dictionary<Type, PlanEvaluator>();
        var evaluators = typeof(PlanEvaluator).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(PlanEvaluator)) && !t.IsAbstract)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (PlanEvaluator)Activator.CreateInstance(t, nonPublic: true)!);
        foreach (var e in evaluators)
        {
            if (!byLayer.TryAdd(e.LayerClass, e))
            {
                throw new InvalidOperationException($"Layer class {e.LayerClass.Name} has two plan references: {byLayer[e.LayerClass].GetType().Name} and {e.GetType().Name}.");
            }
        }

        return byLayer.ToFrozenDictionary();
    }
}

/// <summary>The reference of the layer class <typeparamref name="TLayer"/>.</summary>
/// <typeparam name="TLayer">The layer class.</typeparam>
internal abstract class PlanEvaluator<TLayer> : PlanEvaluator
    where TLayer : Layer
{
    /// <inheritdoc />
    public sealed override Type LayerClass => typeof(TLayer);

    /// <inheritdoc />
    public sealed override Array Evaluate(PlanEvaluation e) => Evaluate((TLayer)e.Node.Layer, e);

    /// <summary>The node's output value for its layer <paramref name="layer"/>.</summary>
    protected abstract Array Evaluate(TLayer layer, PlanEvaluation e);
}

/// <summary>What an evaluator reads: the plan, the node, its input values (a constant item repeated to the batch) and the batch.</summary>
internal sealed class PlanEvaluation(Plan plan, PlanNode node, Func<int, Array> get, int n)
{
    /// <summary>The plan.</summary>
    public Plan Plan { get; } = plan;

    /// <summary>The node evaluated.</summary>
    public PlanNode Node { get; } = node;

    /// <summary>The batch size.</summary>
    public int N { get; } = n;

    /// <summary>Per-item dims of the first input.</summary>
    public TensorDims InDims => Plan.Tensors[Node.Inputs[0]].Dims;

    /// <summary>The output tensor.</summary>
    public PlanTensor Output => Plan.Tensors[Node.Output];

    /// <summary>The first input's int8 scale.</summary>
    public float Sx => Plan.Tensors[Node.Inputs[0]].Scale;

    /// <summary>The first input's value.</summary>
    public Array X => Input(0);

    /// <summary>Input <paramref name="index"/>'s value, batch <see cref="N"/> (a constant item is repeated).</summary>
    public Array Input(int index)
    {
        var id = Node.Inputs[index];
        return Repeat(get(id), Plan.Tensors[id].Dims, N);
    }

    /// <summary>Input <paramref name="index"/>'s value as stored (a constant stays one item: broadcast over the batch).</summary>
    public Array Raw(int index) => get(Node.Inputs[index]);

    // A constant item repeated to a batch of n (activations are already batches).
    private static Array Repeat(Array value, TensorDims dims, int n)
    {
        if (value.Length != dims.Volume || n == 1)
        {
            return value;
        }

        var r = Array.CreateInstance(value.GetType().GetElementType()!, value.Length * n);
        for (var i = 0; i < n; i++)
        {
            Array.Copy(value, 0, r, i * value.Length, value.Length);
        }

        return r;
    }
}
