using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The precision conversion (quantize, dequantize) operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class ConvertOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Convert];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ConvertLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new ConvertStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostConvertStep(engine, node);
}
