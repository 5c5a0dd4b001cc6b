using System.Collections.Frozen;

namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>
/// The scalar ONNX semantics of one layer spec class for <see cref="OnnxReference"/>. Each operator folder holds its own
/// evaluator (a subclass of <see cref="OnnxEvaluator{TSpec}"/>); they are found once by reflection, keyed by the spec
/// class, instead of a switch over spec types.
/// </summary>
internal abstract class OnnxEvaluator
{
    private static readonly FrozenDictionary<Type, OnnxEvaluator> BySpec = Discover();

    /// <summary>The spec class this evaluator computes.</summary>
    public abstract Type SpecClass { get; }

    /// <summary>The ONNX result on the batched <paramref name="x"/> (the node's inputs in order), of shape <paramref name="shape"/>.</summary>
    public abstract ReferenceTensor Evaluate(LayerSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape);

    /// <summary>The evaluator of a spec; a spec class without one is a <see cref="NotSupportedException"/>.</summary>
    public static OnnxEvaluator For(LayerSpec spec) =>
        BySpec.GetValueOrDefault(spec.GetType()) ?? throw new NotSupportedException($"No reference for {spec.Kind}.");

    private static FrozenDictionary<Type, OnnxEvaluator> Discover()
    {
        var bySpec = new Dictionary<Type, OnnxEvaluator>();
        var evaluators = typeof(OnnxEvaluator).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(OnnxEvaluator)) && !t.IsAbstract)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (OnnxEvaluator)Activator.CreateInstance(t, nonPublic: true)!);
        foreach (var e in evaluators)
        {
            if (!bySpec.TryAdd(e.SpecClass, e))
            {
                throw new InvalidOperationException($"Spec {e.SpecClass.Name} has two ONNX references: {bySpec[e.SpecClass].GetType().Name} and {e.GetType().Name}.");
            }
        }

        return bySpec.ToFrozenDictionary();
    }
}

/// <summary>The scalar ONNX semantics of the spec class <typeparamref name="TSpec"/>.</summary>
/// <typeparam name="TSpec">The spec class.</typeparam>
internal abstract class OnnxEvaluator<TSpec> : OnnxEvaluator
    where TSpec : LayerSpec
{
    /// <inheritdoc />
    public sealed override Type SpecClass => typeof(TSpec);

    /// <inheritdoc />
    public sealed override ReferenceTensor Evaluate(LayerSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => Evaluate((TSpec)spec, x, shape);

    /// <summary>The result of <paramref name="spec"/> on <paramref name="x"/>, of shape <paramref name="shape"/>.</summary>
    protected abstract ReferenceTensor Evaluate(TSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape);

    /// <summary>y = f(x) element by element.</summary>
    protected static ReferenceTensor Map(ReferenceTensor x, Func<float, float> f) => new(x.Shape, [.. x.Data.Select(f)]);
}
