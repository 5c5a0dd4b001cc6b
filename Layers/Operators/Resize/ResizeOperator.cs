using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The resize operator: nearest as a gather (float or int8), linear and cubic (and nearest tf_crop_and_resize) as the FP32 interpolating step, on both backends.</summary>
internal sealed class ResizeOperator : Operator
{
    /// <inheritdoc />
    public override IReadOnlyList<LayerType> Types { get; } = [LayerType.Resize];

    /// <inheritdoc />
    public override Layer Read(string name, BinaryReader reader) => ResizeLayer.Read(name, reader);

    /// <inheritdoc />
    public override Step CreateCudaStep(Engine engine, PlanNode node) =>
        ((ResizeLayer)node.Layer).Gathers ? new GatherStep(engine, node) : new ResizeInterpolateStep(engine, node);

    /// <inheritdoc />
    public override Step CreateCpuStep(Engine engine, PlanNode node) =>
        ((ResizeLayer)node.Layer).Gathers ? new HostGatherStep(engine, node) : new HostResizeInterpolateStep(engine, node);
}
