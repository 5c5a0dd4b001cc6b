using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The scale operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class ScaleOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Scale];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ScaleLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new ScaleStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostScaleStep(engine, node);
}
