using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Layers;

/// <summary>Constant spatial padding on the CPU backend (NHWC; an INT8 value is the quantized float value).</summary>
internal sealed unsafe class HostPaddingStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var l = (PaddingLayer)Node.Layer;
        if (Node.Int8)
        {
            Pad(context.Pointer<sbyte>(Input(), batch), context.Pointer<sbyte>(Output, batch), batch, l, (sbyte)QuantMath.Quantize(l.Value, Output.Scale));
        }
        else
        {
            Pad(context.Pointer<float>(Input(), batch), context.Pointer<float>(Output, batch), batch, l, l.Value);
        }
    }

    private void Pad<T>(T* x, T* y, int batch, PaddingLayer l, T value)
        where T : unmanaged
    {
        var d = Input().Dims;
        int c = d.C, top = l.PrePadding.H, left = l.PrePadding.W, oh = Output.Dims.H, ow = Output.Dims.W;
        nint xs = (nint)x, ys = (nint)y;
        ForRanges((long)batch * oh, 64, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            for (var r = r0; r < r1; r++)
            {
                int n = (int)(r / oh), h = (int)(r % oh) - top;
                var row = new Span<T>((T*)ys + (r * ow * c), ow * c);
                row.Fill(value);
                if (h >= 0 && h < d.H)
                {
                    new ReadOnlySpan<T>((T*)xs + ((((long)n * d.H) + h) * d.W * c), d.W * c).CopyTo(row.Slice(left * c, d.W * c));
                }
            }
        });
    }
}
