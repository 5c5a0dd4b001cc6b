using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The fully connected (run by the convolution steps as a 1×1 convolution) operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class FullyConnectedOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.FullyConnected];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => FullyConnectedLayer.Read(name, reader);

    /// <inheritdoc />
    public override long ScratchBytes(Plan plan, PlanNode node, bool host) => host ? 0 : ConvolutionStep.ScratchFor(plan, node);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => TensorCoreConvolutionStep.TryCreate(engine, node) ?? new ConvolutionStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostConvolutionStep(engine, node);
}
