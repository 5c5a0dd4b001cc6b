using ILGPU;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

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

/// <summary>Softmax across channels: FP32, or int8 input through the exp table (float output).</summary>
internal sealed class SoftMaxStep : Step
{
    private readonly ArrayView<float> _exp;

    public SoftMaxStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8)
        {
            _exp = Upload(Int8LookupTable.SoftMaxExp(Input().Scale));
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var d = Input().Dims;
        if (Node.Int8)
        {
            SoftMax.Int8(Device, context.View<sbyte>(Input(), batch), context.View<float>(Output, batch), _exp, batch * d.Plane, d.C);
        }
        else
        {
            SoftMax.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), batch * d.Plane, d.C);
        }
    }
}

/// <summary>Concatenation along channels: one copy (FP32) or requantizing copy (INT8) per input.</summary>
internal sealed class ConcatStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override int Launches => Node.Inputs.Count;

    public override void Run(ExecutionContext context, int batch)
    {
        var total = Output.Dims.C;
        var pixels = batch * Output.Dims.Plane;
        var offset = 0;
        for (var i = 0; i < Node.Inputs.Count; i++)
        {
            var t = Input(i);
            if (Node.Int8)
            {
                Concat.Int8(Device, context.View<sbyte>(t, batch), context.View<sbyte>(Output, batch), pixels, t.Dims.C, total, offset, Int8ElementWise.RatioMultiplier(t.Scale, Output.Scale));
            }
            else
            {
                Concat.Float(Device, context.View<float>(t, batch), context.View<float>(Output, batch), pixels, t.Dims.C, total, offset);
            }

            offset += t.Dims.C;
        }
    }
}
