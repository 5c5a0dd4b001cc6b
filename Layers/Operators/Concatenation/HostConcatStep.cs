using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Layers;

/// <summary>
/// Concatenation on the CPU backend, seen as [outer, length, inner] along the layer's axis (<see cref="TensorDims.Nhwc"/>):
/// per outer index, one block of length_i·inner values per input (INT8 requantized to the output scale).
/// </summary>
internal sealed unsafe class HostConcatStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var axis = ((ConcatenationLayer)Node.Layer).Axis;
        var (pixels, length, inner) = Output.Dims.Nhwc(axis, batch);
        int total = length * inner, offset = 0;
        for (var i = 0; i < Node.Inputs.Count; i++)
        {
            var t = Input(i);
            int c = t.Dims.Size(axis) * inner, o = offset;
            bool constant = t.Constant is not null;
            long items = t.Dims.Nhwc(axis, 1).Outer;
            if (Node.Int8)
            {
                nint x = (nint)context.Pointer<sbyte>(t, batch), y = (nint)context.Pointer<sbyte>(Output, batch);
                float m = Int8ElementWise.RatioMultiplier(t.Scale, Output.Scale);
                ForRanges(pixels, 1024, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
                {
                    for (var p = p0; p < p1; p++)
                    {
                        sbyte* src = (sbyte*)x + ((constant ? p % items : p) * c), dst = (sbyte*)y + (p * total) + o;
                        for (var j = 0; j < c; j++)
                        {
                            dst[j] = (sbyte)QuantMath.Requantize(src[j], 0, m, -127);
                        }
                    }
                });
            }
            else
            {
                nint x = (nint)context.Pointer<float>(t, batch), y = (nint)context.Pointer<float>(Output, batch);
                ForRanges(pixels, 1024, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
                {
                    for (var p = p0; p < p1; p++)
                    {
                        new ReadOnlySpan<float>((float*)x + ((constant ? p % items : p) * c), c).CopyTo(new Span<float>((float*)y + (p * total) + o, c));
                    }
                });
            }

            offset += c;
        }
    }
}
