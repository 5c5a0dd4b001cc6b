using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Concatenation along an axis: one strided block copy (FP32) or requantizing copy (INT8) per input. Seen as
/// [outer, length, inner] (<see cref="TensorDims.Nhwc"/>), input i's blocks of length_i·inner values go to offset
/// Σ_{j&lt;i} length_j·inner of each output block of length·inner (the channel kernel with pixels = outer).
/// </summary>
internal sealed class ConcatStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override int Launches => Node.Inputs.Count;

    public override void Run(ExecutionContext context, int batch)
    {
        var axis = ((ConcatenationLayer)Node.Layer).Axis;
        var (pixels, length, inner) = Output.Dims.Nhwc(axis, batch);
        int total = length * inner, offset = 0;
        for (var i = 0; i < Node.Inputs.Count; i++)
        {
            var t = Input(i);
            int block = t.Dims.Size(axis) * inner;
            if (Node.Int8)
            {
                Concat.Int8(Device, context.View<sbyte>(t, batch), context.View<sbyte>(Output, batch), pixels, block, total, offset, Int8ElementWise.RatioMultiplier(t.Scale, Output.Scale));
            }
            else
            {
                Concat.Float(Device, context.View<float>(t, batch), context.View<float>(Output, batch), pixels, block, total, offset);
            }

            offset += block;
        }
    }
}
