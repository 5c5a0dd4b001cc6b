using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers;

/// <summary>Reshape / flatten: nothing for a view, else the NHWC copy with C-order semantics.</summary>
internal sealed class ReshapeStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override int Launches => Node.IsView ? 0 : 1;

    public override void Run(ExecutionContext context, int batch)
    {
        if (Node.IsView)
        {
            return;
        }

        var from = Input().Dims.WithBatch(batch);
        var to = Output.Dims.WithBatch(batch);
        if (Node.Int8)
        {
            Reshape.Run(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), from, to);
        }
        else
        {
            Reshape.Run(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), from, to);
        }
    }
}

/// <summary>Constant padding (an INT8 value is the quantized float value).</summary>
internal sealed class PaddingStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var p = (PaddingLayer)Node.Layer;
        var shape = Input().Dims.WithBatch(batch);
        if (Node.Int8)
        {
            Padding.Run(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), shape, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, (sbyte)QuantMath.Quantize(p.Value, Output.Scale));
        }
        else
        {
            Padding.Run(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), shape, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, p.Value);
        }
    }
}

/// <summary>Quantize or dequantize between FP32 and INT8 steps (NHWC to NHWC).</summary>
internal sealed class ConvertStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var shape = Input().Dims.WithBatch(batch);
        if (((ConvertLayer)Node.Layer).ToInt8)
        {
            Kernels.Ops.Convert.Quantize(Device, context.View<float>(Input(), batch), TensorFormat.NHWC, context.View<sbyte>(Output, batch), TensorFormat.NHWC, shape, Output.Scale);
        }
        else
        {
            Kernels.Ops.Convert.Dequantize(Device, context.View<sbyte>(Input(), batch), TensorFormat.NHWC, context.View<float>(Output, batch), TensorFormat.NHWC, shape, Input().Scale);
        }
    }
}
