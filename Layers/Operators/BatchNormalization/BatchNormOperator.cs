using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The batch normalization (the builder lowers it to a scale; no step) operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class BatchNormOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.BatchNormalization];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => BatchNormLayer.Read(name, reader);
}
