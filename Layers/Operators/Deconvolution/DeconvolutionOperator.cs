using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The transposed convolution operator: reads its layer from an engine file and creates its steps.</summary>
internal sealed class DeconvolutionOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Deconvolution];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => DeconvolutionLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) => new DeconvolutionStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) => new HostDeconvolutionStep(engine, node);
}
