using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The hard sigmoid operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class HardSigmoidOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.HardSigmoid];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => HardSigmoidLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new HardSigmoidStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostHardSigmoidStep(engine, node);
}
