using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Concatenation along an axis: one strided block copy (FP32, FP16 halves) or requantizing copy (INT8) per input. Seen as
/// [outer, length, inner] (<see cref="TensorDims.Nhwc"/>), input i's blocks of length_i·inner values go to offset
/// Σ_{j&lt;i} length_j·inner of each output block of length·inner (the channel kernel with pixels = outer). Integer-only
/// engines rescale with a Q31 multiplier (<see cref="IntegerRescale"/>).
/// </summary>
internal sealed class ConcatStep(Engine engine, PlanNode node) : Step(engine, node)
{
    // Made once: a step allocates nothing when it runs.
    private readonly (int Total, (int Block, int Offset)[] Inputs) _blocks = ((ConcatenationLayer)node.Layer).NhwcBlocks(
        engine.Plan.Tensors[node.Output].Dims, [.. node.Inputs.Select(id => engine.Plan.Tensors[id].Dims)]);

    public override int Launches => Node.Inputs.Count;

    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        int pixels = Output.Dims.Nhwc(((ConcatenationLayer)Node.Layer).Axis, batch).Outer;
        var (total, blocks) = _blocks;
        for (var i = 0; i < blocks.Length; i++)
        {
            var t = Input(i);
            var (block, offset) = blocks[i];
            if (HandlesHalfStorage)
            {
                Concat.Half(Device, context.View<ushort>(t, batch), context.View<ushort>(Output, batch), pixels, block, total, offset);
            }
            else if (Node.Int8 && Plan.IntegerOnly)
            {
                Concat.Int8FixedPoint(Device, context.View<sbyte>(t, batch), context.View<sbyte>(Output, batch), pixels, block, total, offset, IntegerRescale.Ratio(t.Scale, Output.Scale));
            }
            else if (Node.Int8)
            {
                Concat.Int8(Device, context.View<sbyte>(t, batch), context.View<sbyte>(Output, batch), pixels, block, total, offset, Int8ElementWise.RatioMultiplier(t.Scale, Output.Scale));
            }
            else
            {
                Concat.Float(Device, context.View<float>(t, batch), context.View<float>(Output, batch), pixels, block, total, offset);
            }
        }
    }
}
