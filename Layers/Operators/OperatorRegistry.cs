using System.Collections.Frozen;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Every <see cref="Operator"/> of this assembly by layer type, found once by reflection: the engine file reader, both
/// backends' step factories and the builder look an operator up here instead of switching over layer types.
/// </summary>
internal static class OperatorRegistry
{
    private static readonly FrozenDictionary<LayerType, Operator> ByType = Discover();

    /// <summary>All operators (one entry per layer type).</summary>
    public static IReadOnlyDictionary<LayerType, Operator> All => ByType;

    /// <summary>The operator of a layer type, or null when none is registered.</summary>
    public static Operator? Find(LayerType type) => ByType.GetValueOrDefault(type);

    /// <summary>The step that runs a plan node on the engine's backend (CPU when the engine has a host ISA); FP16 nodes read and store halves.</summary>
    public static Step CreateStep(Engine engine, PlanNode node)
    {
        var op = Find(node.Layer.Type)
            ?? throw new NetworkException(node.Name, $"layer type {node.Layer.Type} has no operator to execute it.");
        var step = engine.HostIsa is null ? op.CreateCudaStep(engine, node) : op.CreateCpuStep(engine, node);

        // An FP16 step reads and stores halves: its float step between widening copies and the rounding store (a view's
        // bytes are its input's halves), unless the step does both itself.
        return node.Half && !node.IsView && !step.HandlesHalfStorage ? new HalfIoStep(step) : step;
    }

    private static FrozenDictionary<LayerType, Operator> Discover()
    {
        var byType = new Dictionary<LayerType, Operator>();
        var operators = typeof(Operator).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Operator)) && !t.IsAbstract)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (Operator)Activator.CreateInstance(t, nonPublic: true)!);
        foreach (var op in operators)
        {
            foreach (var type in op.Types)
            {
                if (!byType.TryAdd(type, op))
                {
                    throw new InvalidOperationException($"Layer type {type} has two operators: {byType[type].GetType().Name} and {op.GetType().Name}.");
                }
            }
        }

        return byType.ToFrozenDictionary();
    }
}
