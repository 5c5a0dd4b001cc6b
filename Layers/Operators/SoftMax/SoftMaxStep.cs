using ILGPU;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Softmax across channels: FP32, FP16 on 2-byte halves (float arithmetic, each output rounded once to half, or held in
/// float words where it is an engine output), or int8 input through the exp table (float output), or in an integer-only engine
/// int8 to int8 with integers only (<see cref="IntegerSoftMax"/>); along H or W, FP32 strided.
/// </summary>
internal sealed class SoftMaxStep : Step
{
    private readonly ArrayView<float> _exp;
    private readonly ArrayView<int> _integerExp;
    private readonly ConvolutionStep? _producer;

    public SoftMaxStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        // An INT8 fully connected step before it may run this softmax in its own launch (ConvolutionStep.FusedSoftMax).
        _producer = engine.Steps.OfType<ConvolutionStep>().FirstOrDefault(s => s.FusedSoftMax == node);
        if (node.Int8 && Output.Type == DataType.Int8)
        {
            _integerExp = Upload(IntegerSoftMax.ExpTable(Input().Scale));
        }
        else if (node.Int8)
        {
            _exp = Upload(Int8LookupTable.SoftMaxExp(Input().Scale));
        }
    }

    /// <inheritdoc />
    public override bool HandlesHalfStorage => Node.Half && Input().Type == DataType.Half && Output.Type is DataType.Half or DataType.Float;

    /// <inheritdoc />
    public override string KernelName => _producer is null ? base.KernelName : $"{base.KernelName} (fused into '{_producer.Node.Name}' up to batch {ConvolutionStep.FusedSoftMaxBatchLimit})";

    public override void Run(ExecutionContext context, int batch)
    {
        if (_producer is { } fc && fc.SoftMaxIn(context, batch))
        {
            // Written by the fully connected step.
            return;
        }

        var d = Input().Dims;
        var axis = ((SoftMaxLayer)Node.Layer).Axis;
        if (HandlesHalfStorage)
        {
            RunHalf(context, batch, axis);
        }
        else if (axis != ItemAxis.Channel)
        {
            var (outer, length, inner) = d.Nhwc(axis, batch);
            SoftMaxStrided.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), outer, length, inner);
        }
        else if (Node.Int8 && Output.Type == DataType.Int8)
        {
            IntegerSoftMax.Run(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _integerExp, batch * d.Plane, d.C);
        }
        else if (Node.Int8)
        {
            SoftMax.Int8(Device, context.View<sbyte>(Input(), batch), context.View<float>(Output, batch), _exp, batch * d.Plane, d.C);
        }
        else
        {
            SoftMax.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), batch * d.Plane, d.C);
        }
    }

    // Halves in; halves out, or the half-rounded values in float words where the output is an engine output.
    private void RunHalf(ExecutionContext context, int batch, ItemAxis axis)
    {
        var d = Input().Dims;
        var x = context.View<ushort>(Input(), batch);
        bool halves = Output.Type == DataType.Half;
        if (axis != ItemAxis.Channel)
        {
            var (outer, length, inner) = d.Nhwc(axis, batch);
            if (halves)
            {
                SoftMaxStrided.Half(Device, x, context.View<ushort>(Output, batch), outer, length, inner);
            }
            else
            {
                SoftMaxStrided.Half(Device, x, context.View<float>(Output, batch), outer, length, inner);
            }
        }
        else if (halves)
        {
            SoftMax.Half(Device, x, context.View<ushort>(Output, batch), batch * d.Plane, d.C);
        }
        else
        {
            SoftMax.Half(Device, x, context.View<float>(Output, batch), batch * d.Plane, d.C);
        }
    }
}
