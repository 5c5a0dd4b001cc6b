using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The reshape and flatten operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class ReshapeOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Reshape, LayerType.Flatten];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ReshapeLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new ReshapeStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostReshapeStep(engine, node);
}
