using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The element-wise operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class ElementWiseOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.ElementWise];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ElementWiseLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new ElementWiseStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostElementWiseStep(engine, node);
}
