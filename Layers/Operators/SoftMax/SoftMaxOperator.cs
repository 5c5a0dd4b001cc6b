using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The softmax operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class SoftMaxOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.SoftMax];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => SoftMaxLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new SoftMaxStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostSoftMaxStep(engine, node);
}
