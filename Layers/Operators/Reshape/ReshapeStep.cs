using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Reshape / flatten: nothing for a view, else the NHWC copy with C-order semantics (of floats, halves or int8).</summary>
internal sealed class ReshapeStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override int Launches => Node.IsView ? 0 : 1;

    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        if (Node.IsView)
        {
            return;
        }

        var from = Input().Dims.WithBatch(batch);
        var to = Output.Dims.WithBatch(batch);
        if (HandlesHalfStorage)
        {
            Reshape.Run(Device, context.View<ushort>(Input(), batch), context.View<ushort>(Output, batch), from, to);
        }
        else if (Node.Int8)
        {
            Reshape.Run(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), from, to);
        }
        else
        {
            Reshape.Run(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), from, to);
        }
    }
}
