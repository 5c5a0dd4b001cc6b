using ILGPU;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Activation: FP32 kernel with the function as a type parameter; FP16 the same function on 2-byte halves
/// (<see cref="Activation.Half"/>) when input and output are halves, else through <see cref="HalfIoStep"/>; INT8 the exact
/// table from s_in to s_out.
/// </summary>
internal sealed class ActivationStep : Step
{
    private readonly ArrayView<sbyte> _lut;

    public ActivationStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8)
        {
            _lut = Upload(Int8Parameters.ActivationTable(Plan, ((ActivationLayer)node.Layer).Activation, Input().Scale, Output.Scale));
        }
    }

    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        if (HandlesHalfStorage)
        {
            Activation.Half(Device, context.View<ushort>(Input(), batch), context.View<ushort>(Output, batch), ((ActivationLayer)Node.Layer).Activation);
        }
        else if (Node.Int8)
        {
            Activation.Int8(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _lut);
        }
        else
        {
            Activation.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), ((ActivationLayer)Node.Layer).Activation);
        }
    }
}
