using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Element-wise binary: FP32 with any fused activation; FP16 on 2-byte halves (<see cref="ElementWise.Half"/>: FP32
/// arithmetic, one rounding) when both operands and the output are halves, else through <see cref="HalfIoStep"/>; INT8
/// integer sum / product / max with a fused ReLU.
/// </summary>
internal sealed class ElementWiseStep : Step
{
    public ElementWiseStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
    }

    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        var op = ((ElementWiseLayer)Node.Layer).Operation;
        if (HandlesHalfStorage)
        {
            ElementWise.Half(Device, context.View<ushort>(Input(0), batch), context.View<ushort>(Input(1), batch), context.View<ushort>(Output, batch), op, Node.Fused);
        }
        else if (Node.Int8)
        {
            Int8ElementWise.Run(
                Device, context.View<sbyte>(Input(0), batch), context.View<sbyte>(Input(1), batch), context.View<sbyte>(Output, batch), op,
                Input(0).Scale, Input(1).Scale, Output.Scale, Node.Fused.Kind == ActivationKind.Relu);
        }
        else
        {
            ElementWise.Float(Device, context.View<float>(Input(0), batch), context.View<float>(Input(1), batch), context.View<float>(Output, batch), op, Node.Fused);
        }
    }
}
