using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The concatenation operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class ConcatenationOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Concatenation];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ConcatenationLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new ConcatStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostConcatStep(engine, node);
}
