using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The general transpose operator: a gather of each item (float or int8) on both backends.</summary>
internal sealed class TransposeOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Transpose];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => TransposeLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new GatherStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostGatherStep(engine, node);
}
