using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>LRN across channels (FP32).</summary>
internal sealed class LrnStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var l = (LrnLayer)Node.Layer;
        var d = Input().Dims;
        Lrn.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), batch * d.Plane, d.C, l.WindowSize, l.Alpha, l.Beta, l.K);
    }
}
