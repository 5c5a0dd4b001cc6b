using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

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
        var body = new Rows<T>
        {
            X = x,
            Y = y,
            Value = value,
            C = d.C,
            H = d.H,
            W = d.W,
            Top = l.PrePadding.H,
            Left = l.PrePadding.W,
            OutH = Output.Dims.H,
            OutW = Output.Dims.W,
        };
        ForRanges((long)batch * body.OutH, 64, ref body);
    }

    private struct Rows<T> : ICpuRangeBody
        where T : unmanaged
    {
        public T* X, Y;
        public T Value;
        public int C, H, W, Top, Left, OutH, OutW;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long r0, long r1)
        {
            int c = C;
            for (var r = r0; r < r1; r++)
            {
                int n = (int)(r / OutH), h = (int)(r % OutH) - Top;
                var row = new Span<T>(Y + (r * OutW * c), OutW * c);
                row.Fill(Value);
                if (h >= 0 && h < H)
                {
                    new ReadOnlySpan<T>(X + ((((long)n * H) + h) * W * c), W * c).CopyTo(row.Slice(Left * c, W * c));
                }
            }
        }
    }
}
