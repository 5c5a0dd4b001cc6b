using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The channel multiply operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class ChannelMultiplyOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.ChannelMultiply];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ChannelMultiplyLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new ChannelMultiplyStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostChannelMultiplyStep(engine, node);
}
