using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>LRN across channels: FP32, FP16 on 2-byte halves (float arithmetic, each output rounded once), or INT8 with integers only in integer-only engines (<see cref="IntegerLrn"/>).</summary>
internal sealed class LrnStep(Engine engine, PlanNode node) : Step(engine, node)
{
    private readonly IntegerLrn.Parameters _integer = node.Int8
        ? ((LrnLayer)node.Layer).IntegerParameters(engine.Plan.Tensors[node.Inputs[0]].Scale, engine.Plan.Tensors[node.Output].Scale)
        : default;

    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        var l = (LrnLayer)Node.Layer;
        var d = Input().Dims;
        if (Node.Int8)
        {
            IntegerLrn.Run(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), batch * d.Plane, d.C, _integer);
            return;
        }

        if (HandlesHalfStorage)
        {
            Lrn.Half(Device, context.View<ushort>(Input(), batch), context.View<ushort>(Output, batch), batch * d.Plane, d.C, l.WindowSize, l.Alpha, l.Beta, l.K);
            return;
        }

        Lrn.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), batch * d.Plane, d.C, l.WindowSize, l.Alpha, l.Beta, l.K);
    }
}
