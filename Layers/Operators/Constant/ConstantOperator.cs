using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The constant (the builder folds it into the plan's constants; no step) operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class ConstantOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Constant];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ConstantLayer.Read(name, reader);
}
