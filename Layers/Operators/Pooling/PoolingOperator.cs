using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The pooling operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class PoolingOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Pooling];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => PoolingLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new PoolingStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostPoolingStep(engine, node);
}
