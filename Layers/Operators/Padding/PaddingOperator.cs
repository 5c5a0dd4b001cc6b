using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The padding operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class PaddingOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Padding];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => PaddingLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new PaddingStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostPaddingStep(engine, node);
}
